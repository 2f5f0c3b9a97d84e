import { randomUUID } from 'node:crypto';
import { aerospike, createKeyplaneClient, diga, discue, keyplane } from '@keyplane/client';
import { contractCheck, createTestSchema, databaseUrl, STORE_KINDS } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './support/process.js';

/**
 * Two real server processes on one PostgreSQL: whatever one instance revokes, the other
 * refuses on the very next request. Runs when DATABASE_URL names a server.
 */
describe.runIf(STORE_KINDS.includes('postgres'))('several instances on one PostgreSQL', () => {
  const rootKey = `root-${randomUUID()}`;
  let instances: ServerProcess[] = [];
  let dropSchema: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const { schema, drop } = await createTestSchema();
    dropSchema = drop;
    const url = new URL(databaseUrl());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      DATABASE_URL: url.toString(),
      KEYPLANE_ROOT_KEY: rootKey,
      KEYPLANE_TOKEN_SIGNING_KEYS: 'shared:a-signing-secret-shared-by-every-instance',
    };
    // Both start at once: migrations and the default organization are set up exactly once.
    instances = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await dropSchema();
  });

  const client = (instance: number, credential: { apiKey: string } | { bearer: string }) => {
    const created = createKeyplaneClient({ baseUrl: (instances[instance] as ServerProcess).url, credential });
    created.use(contractCheck());
    return created;
  };
  const root = (instance: number) => client(instance, { bearer: rootKey });
  const accepted = async (instance: number, credential: { apiKey: string } | { bearer: string }) =>
    (await client(instance, credential).GET('/v1/api_key/')).response.status === 200;

  it('shares one store: a key made on one instance works on the other', async () => {
    const { id, value } = await diga.createKey(root(0), { name: 'shared', restricted: false });
    expect((await diga.getKey(root(1), id)).name).toBe('shared');
    expect(await accepted(1, { bearer: value as string })).toBe(true);
  });

  it('refuses a key deleted or disabled on one instance on the other’s very next request', async () => {
    for (let round = 0; round < 10; round += 1) {
      const [writer, reader] = round % 2 === 0 ? [0, 1] : [1, 0];
      const { id, value } = await diga.createKey(root(writer), { name: `doomed ${round}`, restricted: false });
      const secret = value as string;
      expect(await accepted(reader, { bearer: secret })).toBe(true);
      if (round % 4 < 2) await diga.deleteKey(root(writer), id);
      else await discue.updateKey(client(writer, { apiKey: rootKey }), id, { status: 'disabled' });
      expect(await accepted(reader, { bearer: secret })).toBe(false);
    }
  });

  it('refuses an access token on one instance as soon as its key is deleted on the other', async () => {
    const { clientId, clientSecret } = await aerospike.createKey(root(0), 'token holder');
    const token = (await aerospike.token(root(0), clientId, clientSecret)).access_token;
    expect((await client(1, { bearer: token }).GET('/api-keys')).response.status).toBe(200);
    await aerospike.deleteKey(root(1), clientId);
    const { response, error } = await client(0, { bearer: token }).GET('/api-keys');
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: 'invalid_token' });
  });

  it('ends a rotation’s grace period on every instance at once', async () => {
    const { id, value } = await diga.createKey(root(0), { name: 'rotating', restricted: false });
    const rotation = await keyplane.rotateKey(root(0), id, 2);
    const graceEnd = Date.parse(rotation.previousKeyExpiresAt as string);
    // The old secret works while the grace period lasts. A busy machine may answer only after
    // it ended, so an answer is held to that only when it came back within the period.
    const previousDuringGrace = await accepted(1, { bearer: value as string });
    if (Date.now() < graceEnd) expect(previousDuringGrace).toBe(true);
    expect(await accepted(1, { bearer: rotation.key })).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnd - Date.now()) + 50));
    expect(await accepted(1, { bearer: value as string })).toBe(false);
    expect(await accepted(0, { bearer: value as string })).toBe(false);
    expect(await accepted(1, { bearer: rotation.key })).toBe(true);
  });

  /** Answers of the typed client that must be successes; anything else fails the test with the error body. */
  const succeeded = async <T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> => {
    const { data, error, response } = await call;
    expect(response.ok, `${response.status} ${JSON.stringify(error)}`).toBe(true);
    return data as T;
  };
  /** What the key's own request answers on an instance: it reads itself, which needs `api_keys.read`. */
  const readsItself = async (instance: number, key: { keyId: string; key: string }) =>
    (await client(instance, { bearer: key.key }).GET('/v1/keys/{keyId}', { params: { path: { keyId: key.keyId } } }))
      .response.status;
  const verification = (instance: number, key: { key: string }, permissions: string[]) =>
    keyplane.verifyKey(root(instance), key.key, permissions);
  /** The look-ups an instance's key cache answered from memory so far (`/metrics`). */
  const cacheHits = async (instance: number) => {
    const text = await (await fetch(`${(instances[instance] as ServerProcess).url}/metrics`)).text();
    return Number(/^keyplane_key_cache_lookups_total\{result="hit"\} (\S+)$/m.exec(text)?.[1] ?? 0);
  };
  /** Uses a key on an instance until its cache holds it: verified, and its own request, three times each. */
  async function hotOn(instance: number, key: { keyId: string; key: string }, permissions: string[]) {
    for (let use = 0; use < 3; use += 1) {
      expect(await verification(instance, key, permissions)).toMatchObject({ valid: true, code: 'VALID' });
      expect(await readsItself(instance, key)).toBe(200);
    }
  }
  /** The two requests that must refuse, in an order that changes every other round: each is in turn the very next one. */
  const inTurn = async (round: number, first: () => Promise<void>, second: () => Promise<void>) => {
    for (const check of round % 4 < 2 ? [first, second] : [second, first]) await check();
  };

  it('refuses a permission its role lost on one instance on the other’s very next request', async () => {
    const hitsBefore = [await cacheHits(0), await cacheHits(1)];
    for (let round = 0; round < 8; round += 1) {
      const [writer, reader] = round % 2 === 0 ? [0, 1] : [1, 0];
      const role = `key-readers-${round}`;
      await succeeded(
        root(writer).POST('/v1/roles', { body: { name: role, permissions: ['api_keys.read', 'invoices.read'] } }),
      );
      // No permission of its own: all it may do, it may through its role.
      const key = await keyplane.createKey(root(writer), { name: `reader ${round}`, roles: [role] });
      expect(key.permissions).toEqual([]);
      await hotOn(reader, key, ['api_keys.read']);

      await succeeded(
        root(writer).PATCH('/v1/roles/{role}', {
          params: { path: { role } },
          body: { permissions: ['invoices.read'] },
        }),
      );
      await inTurn(
        round,
        async () =>
          expect(await verification(reader, key, ['api_keys.read'])).toMatchObject({
            valid: false,
            code: 'INSUFFICIENT_PERMISSIONS',
            permissions: ['invoices.read'],
          }),
        async () => expect(await readsItself(reader, key)).toBe(403),
      );
      // Narrowed, not revoked: what the role still holds the key still may.
      expect(await verification(reader, key, ['invoices.read'])).toMatchObject({ valid: true, code: 'VALID' });
    }
    // The readers answered from their caches while the keys were hot: what was narrowed was held in memory.
    expect((await cacheHits(0)) - (hitsBefore[0] as number)).toBeGreaterThan(0);
    expect((await cacheHits(1)) - (hitsBefore[1] as number)).toBeGreaterThan(0);
  });

  it('refuses what a role deleted on one instance gave, on the other’s very next request', async () => {
    for (let round = 0; round < 4; round += 1) {
      const [writer, reader] = round % 2 === 0 ? [0, 1] : [1, 0];
      const role = `doomed-role-${round}`;
      await succeeded(
        root(writer).POST('/v1/roles', { body: { name: role, permissions: ['api_keys.read', 'invoices.read'] } }),
      );
      const key = await keyplane.createKey(root(writer), { name: `holder ${round}`, roles: [role] });
      await hotOn(reader, key, ['invoices.read']);

      const { response } = await root(writer).DELETE('/v1/roles/{role}', { params: { path: { role } } });
      expect(response.status).toBe(204);
      await inTurn(
        round,
        async () =>
          expect(await verification(reader, key, ['invoices.read'])).toMatchObject({
            valid: false,
            code: 'INSUFFICIENT_PERMISSIONS',
            roles: [],
          }),
        async () => expect(await readsItself(reader, key)).toBe(403),
      );
    }
  });

  it('refuses the keys of an identity deleted with them on one instance on the other’s very next request', async () => {
    // Each refused use is a failed authentication of this client: 8 in all, under the lockout's 30 a minute.
    for (let round = 0; round < 4; round += 1) {
      const [writer, reader] = round % 2 === 0 ? [0, 1] : [1, 0];
      const externalId = `customer-${round}`;
      const keys = [
        await keyplane.createKey(root(writer), { name: `${externalId} a`, permissions: ['api_keys.read'], externalId }),
        await keyplane.createKey(root(writer), { name: `${externalId} b`, permissions: ['api_keys.read'], externalId }),
      ] as const;
      for (const key of keys) {
        await hotOn(reader, key, ['api_keys.read']);
        expect(await verification(reader, key, [])).toMatchObject({ identity: { externalId } });
      }

      const { response } = await root(writer).DELETE('/v1/identities/{identity}', {
        params: { path: { identity: externalId }, query: { deleteKeys: 'true' } },
      });
      expect(response.status).toBe(204);
      const [first, second] = keys;
      // The very next request on the reader is a verification of one key and the other key's own request.
      const notFound = (key: { key: string }) => async () =>
        expect(await verification(reader, key, ['api_keys.read'])).toEqual({ valid: false, code: 'NOT_FOUND' });
      const refused = (key: { keyId: string; key: string }) => async () =>
        expect(await readsItself(reader, key)).toBe(401);
      await inTurn(round, notFound(first), refused(second));
      await inTurn(round, refused(first), notFound(second));
      expect(
        (await root(reader).GET('/v1/identities/{identity}', { params: { path: { identity: externalId } } })).response
          .status,
      ).toBe(404);
    }
  });

  it('admits exactly as many verifications as a key has credits, spread over both instances at once', async () => {
    const verify = async (instance: number, key: string) =>
      (await root(instance).POST('/v1/keys/verify', { body: { key } })).data;
    for (let round = 0; round < 3; round += 1) {
      const { key } = await keyplane.createKey(root(round % 2), {
        name: `metered ${round}`,
        credits: { remaining: 100 },
      });
      const codes = await Promise.all(
        Array.from({ length: 400 }, async (_, index) => (await verify(index % 2, key))?.code),
      );
      expect(codes.filter((code) => code === 'VALID')).toHaveLength(100);
      expect(codes.filter((code) => code === 'USAGE_EXCEEDED')).toHaveLength(300);
    }
    // Credits given on one instance to a key the other holds in memory count there at once.
    const { key, keyId } = await keyplane.createKey(root(0), { name: 'metered later' });
    expect(await verify(1, key)).toMatchObject({ code: 'VALID' });
    expect(await keyplane.changeKeyCredits(root(0), keyId, 'set', 1)).toEqual({ remaining: 1, refill: null });
    expect(await verify(1, key)).toMatchObject({ code: 'VALID', credits: { remaining: 0 } });
    expect(await verify(1, key)).toMatchObject({ code: 'USAGE_EXCEEDED' });
  });

  it('admits exactly a named limit of verifications spread over both instances at once', async () => {
    // The limit counts in fixed UTC days: not started within two minutes of the next one.
    const toNextDay = 86_400_000 - (Date.now() % 86_400_000);
    if (toNextDay < 120_000) await new Promise((resolve) => setTimeout(resolve, toNextDay + 1_000));
    const { key } = await keyplane.createKey(root(1), {
      name: 'limited',
      ratelimits: [{ name: 'burst', limit: 50, durationMs: 86_400_000, autoApply: true }],
    });
    const codes = await Promise.all(
      Array.from(
        { length: 300 },
        async (_, index) => (await root(index % 2).POST('/v1/keys/verify', { body: { key } })).data?.code,
      ),
    );
    expect(codes.filter((code) => code === 'VALID')).toHaveLength(50);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(250);
  });

  it('deletes once across instances under concurrent deletes', async () => {
    const { id } = await diga.createKey(root(0), { name: 'contended', restricted: false });
    const statuses = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, index) =>
          (await root(index % 2).DELETE('/v1/api_key/{id}', { params: { path: { id } } })).response.status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(19);
  });
});

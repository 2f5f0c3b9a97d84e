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

import { type Credential, createKeyplaneClient, diga, discue, keyplane } from '@keyplane/client';
import { generateSecret } from '@keyplane/core';
import { openPostgres } from '@keyplane/store';
import { createTestSchema, databaseUrl, STORE_KINDS } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './support/process.js';

const LEASE_SECONDS = 2;

/**
 * Every instance on one PostgreSQL caches keys in memory, and still refuses a revoked key on
 * its very next request: a revocation is acknowledged only once every live instance has
 * dropped the key, or has lost its lease and with it the trust in its cache. Real
 * processes, real PostgreSQL, real signals.
 */
describe.runIf(STORE_KINDS.includes('postgres'))('key caches of several instances on one PostgreSQL', () => {
  const rootKey = generateSecret();
  let instances: ServerProcess[] = [];
  let schema = '';
  let dropSchema: () => Promise<void> = async () => {};

  beforeAll(async () => {
    ({ schema, drop: dropSchema } = await createTestSchema());
    const url = new URL(databaseUrl());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      DATABASE_URL: url.toString(),
      KEYPLANE_ROOT_KEY: rootKey,
      KEYPLANE_TOKEN_SIGNING_KEYS: 'shared:a-signing-secret-shared-by-every-instance',
      KEYPLANE_CACHE_LEASE_SECONDS: String(LEASE_SECONDS),
      KEYPLANE_RATE_LIMIT_PER_MINUTE: '0',
      KEYPLANE_AUTH_FAILURES_PER_MINUTE: '0',
    };
    instances = await Promise.all([startServerProcess(env), startServerProcess(env), startServerProcess(env)]);
  });
  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGCONT');
    await Promise.all(instances.map((instance) => instance.stop()));
    await dropSchema();
  });

  const client = (instance: number, credential: Credential) =>
    createKeyplaneClient({ baseUrl: (instances[instance] as ServerProcess).url, credential });
  const root = (instance: number) => client(instance, { bearer: rootKey });
  /** Whether an instance lets the key list keys: what a cached, still trusted, key would. */
  const accepted = async (instance: number, secret: string) =>
    (await client(instance, { bearer: secret }).GET('/v1/api_key/', { params: { query: { limit: 1 } } })).response
      .status === 200;

  /** Creates a key through `writer` and has every other instance use it, so that each caches it. */
  async function cachedEverywhere(writer: number, name: string) {
    const created = await diga.createKey(root(writer), { name, restricted: false });
    const secret = created.value as string;
    for (const instance of instances.keys()) expect(await accepted(instance, secret)).toBe(true);
    return { id: created.id, secret };
  }

  type Revocation = 'delete' | 'disable' | 'narrow' | 'rotate';
  const REVOCATIONS: readonly Revocation[] = ['delete', 'disable', 'narrow', 'rotate'];

  async function revoke(writer: number, kind: Revocation, id: string) {
    if (kind === 'delete') await diga.deleteKey(root(writer), id);
    else if (kind === 'disable')
      await discue.updateKey(client(writer, { apiKey: rootKey }), id, { status: 'disabled' });
    else if (kind === 'narrow')
      await diga.updateKey(root(writer), id, { restricted: true, permissions: ['calls.view'] });
    else await keyplane.rotateKey(root(writer), id, 0);
  }

  it('refuses on every other instance, on its very next request, each of 1,000 revocations raced against traffic', async () => {
    const bystander = await cachedEverywhere(0, 'bystander');
    let traffic = true;
    const served = { bystander: 0 };
    const background = Array.from({ length: 3 }, async (_, loop) => {
      while (traffic) {
        if (await accepted(loop % instances.length, bystander.secret)) served.bystander += 1;
      }
    });
    const stale: string[] = [];
    const workers = Array.from({ length: 4 }, async (_, worker) => {
      for (let round = worker; round < 1_000; round += 4) {
        const writer = round % instances.length;
        const kind = REVOCATIONS[round % REVOCATIONS.length] as Revocation;
        const key = await cachedEverywhere(writer, `doomed ${round}`);
        await revoke(writer, kind, key.id);
        for (const reader of instances.keys()) {
          if (reader !== writer && (await accepted(reader, key.secret))) stale.push(`${kind} #${round} on ${reader}`);
        }
      }
    });
    await Promise.all(workers);
    traffic = false;
    await Promise.all(background);
    expect(stale).toEqual([]);
    expect(served.bystander).toBeGreaterThan(0);
  }, 600_000);

  it('ends a rotation’s grace period on every instance without a message: the cached key carries its deadline', async () => {
    const key = await cachedEverywhere(0, 'rotating');
    const rotation = await keyplane.rotateKey(root(0), key.id, 1);
    for (const instance of instances.keys()) expect(await accepted(instance, key.secret)).toBe(true);
    const graceEnd = Date.parse(rotation.previousKeyExpiresAt as string);
    while (Date.now() <= graceEnd) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const instance of instances.keys()) expect(await accepted(instance, key.secret)).toBe(false);
    for (const instance of instances.keys()) expect(await accepted(instance, rotation.key)).toBe(true);
  });

  it('never serves a key revoked after an instance’s listening connection was killed', async () => {
    const admin = await openPostgres({ connectionString: databaseUrl(), poolSize: 1 });
    try {
      for (let round = 0; round < 5; round += 1) {
        const key = await cachedEverywhere(0, `listener killed ${round}`);
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where application_name like 'keyplane-listener:' || left(md5($1), 16) || ':%'`,
          [schema],
        );
        await revoke(0, REVOCATIONS[round % REVOCATIONS.length] as Revocation, key.id);
        expect(await accepted(1, key.secret)).toBe(false);
        expect(await accepted(2, key.secret)).toBe(false);
      }
    } finally {
      await admin.close();
    }
  });

  it('never serves, once resumed, a key revoked while the instance was paused; the writer waits at most its lease', async () => {
    const key = await cachedEverywhere(0, 'revoked in its sleep');
    const sleeper = instances[2] as ServerProcess;
    sleeper.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      await diga.deleteKey(root(0), key.id);
      expect(Date.now() - started).toBeLessThan(LEASE_SECONDS * 1000 + 1000);
    } finally {
      sleeper.child.kill('SIGCONT');
    }
    expect(await accepted(2, key.secret)).toBe(false);
    expect(await accepted(1, key.secret)).toBe(false);
    // Awake again, it listens and caches once more.
    const fresh = await cachedEverywhere(1, 'after the sleep');
    await diga.deleteKey(root(1), fresh.id);
    expect(await accepted(2, fresh.secret)).toBe(false);
  });
});

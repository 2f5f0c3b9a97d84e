import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aerospike, createKeyplaneClient, discue, kadosei } from '@keyplane/client';
import { contractCheck } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedStart, startServerProcess } from './support/process.js';

const ROOT_KEY_LINE = /^ {4}(kp_[0-9A-Za-z]+)$/m;

function clientOf(url: string, apiKey: string) {
  const client = createKeyplaneClient({ baseUrl: url, credential: { apiKey } });
  client.use(contractCheck());
  return client;
}

describe('the server process', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyplane-data-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('generates a root key once, keeps keys on disk across restarts, and stops on SIGTERM', async () => {
    const first = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir });
    const rootKey = ROOT_KEY_LINE.exec(first.output())?.[1] as string;
    expect(rootKey).toBeDefined();
    const created = await discue.createKey(clientOf(first.url, rootKey), { name: 'survives restarts' });
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir });
    try {
      expect(second.output()).not.toMatch(ROOT_KEY_LINE);
      expect(second.output()).not.toContain(rootKey);
      const key = await discue.getKey(clientOf(second.url, rootKey), created.id);
      expect(key.name).toBe('survives restarts');
      // The key itself still authenticates: lacking key permissions, it is refused with 403, not 401.
      const asKey = await clientOf(second.url, created.secret).GET('/v1/api_keys');
      expect(asKey.response.status).toBe(403);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  });

  it('takes KEYPLANE_ROOT_KEY as the root credential, as X-API-KEY and as Bearer', async () => {
    const rootKey = 'configured-root-key-0123456789-abcdefghijk';
    const server = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: rootKey });
    try {
      expect(server.output()).not.toMatch(ROOT_KEY_LINE);
      expect(server.output()).not.toContain(rootKey);
      expect(await discue.listKeys(clientOf(server.url, rootKey))).toHaveLength(1);
      const bearer = createKeyplaneClient({ baseUrl: server.url, credential: { bearer: rootKey } });
      bearer.use(contractCheck());
      expect(await kadosei.listApplications(bearer)).toHaveLength(1);
      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      await server.stop();
    }
  });

  it('signs access tokens with the configured keys, and honours them after a rotation', async () => {
    const rootKey = 'configured-root-key-0123456789-abcdefghijk';
    const previous = 'previous:the-previous-signing-secret-of-enough-length';
    const next = 'next:the-next-signing-secret-that-is-long-enough-too';
    const first = await startServerProcess({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_ROOT_KEY: rootKey,
      KEYPLANE_TOKEN_SIGNING_KEYS: previous,
    });
    let token: string;
    try {
      const root = createKeyplaneClient({ baseUrl: first.url, credential: { bearer: rootKey } });
      const { clientId, clientSecret } = await aerospike.createKey(root, 'token holder');
      token = (await aerospike.token(root, clientId, clientSecret)).access_token;
    } finally {
      await first.stop();
    }
    const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kidOf(token)).toBe('previous');

    const rotated = await startServerProcess({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_ROOT_KEY: rootKey,
      KEYPLANE_TOKEN_SIGNING_KEYS: `${next},${previous}`,
    });
    try {
      const withOldToken = createKeyplaneClient({ baseUrl: rotated.url, credential: { bearer: token } });
      expect((await withOldToken.GET('/api-keys')).response.status).toBe(200);
    } finally {
      await rotated.stop();
    }

    const retired = await startServerProcess({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_ROOT_KEY: rootKey,
      KEYPLANE_TOKEN_SIGNING_KEYS: next,
    });
    try {
      const withOldToken = createKeyplaneClient({ baseUrl: retired.url, credential: { bearer: token } });
      expect((await withOldToken.GET('/api-keys')).response.status).toBe(401);
    } finally {
      await retired.stop();
    }
  });

  it('refuses to start with another digest secret than the one its keys were digested with', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'keyplane-digest-'));
    try {
      const first = await startServerProcess({
        KEYPLANE_DATA_DIR: folder,
        KEYPLANE_HASH_SECRET: 'the-first-digest-secret-of-enough-length',
      });
      expect(await first.stop()).toBe(0);
      const changed = await failedStart({
        PORT: '0',
        KEYPLANE_DATA_DIR: folder,
        KEYPLANE_HASH_SECRET: 'another-digest-secret-of-enough-length!',
      });
      expect(changed.code).toBe(1);
      expect(changed.output).toContain('KEYPLANE_HASH_SECRET');
      expect(changed.output).not.toContain('another-digest-secret');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses to start on a wrong setting, naming the variable', async () => {
    const badPort = await failedStart({ PORT: 'eighty', KEYPLANE_DATA_DIR: dataDir });
    expect(badPort.code).toBe(1);
    expect(badPort.output).toContain('PORT');
    const badRoot = await failedStart({ PORT: '0', KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: 'has spaces in it' });
    expect(badRoot.code).toBe(1);
    expect(badRoot.output).toContain('KEYPLANE_ROOT_KEY');
    expect(badRoot.output).not.toContain('has spaces in it');
    const weakRoot = await failedStart({ PORT: '0', KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: 'a' });
    expect(weakRoot.code).toBe(1);
    expect(weakRoot.output).toContain('KEYPLANE_ROOT_KEY');
    expect(weakRoot.output).toContain('at least 32 characters');
    const badSigning = await failedStart({
      PORT: '0',
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_TOKEN_SIGNING_KEYS: 'k1:short',
    });
    expect(badSigning.code).toBe(1);
    expect(badSigning.output).toContain('KEYPLANE_TOKEN_SIGNING_KEYS');
    expect(badSigning.output).not.toContain('short');
  });
});

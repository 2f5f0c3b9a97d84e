import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diga } from '@keyplane/client';
import { requireService, STORE_KINDS } from '@keyplane/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';
import { startServerProcess } from './support/process.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const REDIS_URL = requireService('REDIS_URL');
const LIMIT = 30;
const BURST = 300;
const ROOT_KEY = `root-${randomUUID()}-${randomUUID()}`;

const tally = (answers: readonly number[]) =>
  answers.reduce<Record<string, number>>((counts, answer) => {
    counts[answer] = (counts[answer] ?? 0) + 1;
    return counts;
  }, {});

/** A Redis connection set up as the server sets up its own: commands fail at once while it is down. */
const connectThrough = (proxy: TcpProxy) =>
  new Redis({
    host: '127.0.0.1',
    port: proxy.port,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });

describe.runIf(REDIS_URL).each(STORE_KINDS)('when Redis is slow or unreachable, on the %s store', (store) => {
  let proxy: TcpProxy;
  let redis: Redis;
  let harness: Harness;
  beforeAll(async () => {
    const target = new URL(REDIS_URL as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    redis = connectThrough(proxy);
    redis.on('error', () => {});
    await redis.connect();
    harness = await startHarness(
      { transport: 'http', store, name: `http, ${store} store` },
      {
        trustProxy: true,
        rateLimits: {
          perKeyPerMinute: 100_000,
          failedAuthPerMinute: LIMIT,
          lockoutSeconds: 60,
          redis,
          redisTimeoutMs: 200,
          probeIntervalMs: 50,
        },
      },
    );
  });
  afterEach(async () => {
    proxy.pass();
    expect(harness.unexpectedErrors).toEqual([]);
    // Each test starts with the limits shared again.
    await expect.poll(() => harness.rateLimits?.shared, { timeout: 60_000, interval: 50 }).toBe(true);
  });
  afterAll(async () => {
    await harness.close();
    redis.disconnect();
    await proxy.close();
  });

  const newClientAddress = () => `client-${randomUUID()}`;
  const read = async (address: string, credential: string) => {
    const response = await harness.fetch('/v1/keys/verify', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${credential}`,
        'X-Forwarded-For': address,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ key: credential }),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const newKey = async () =>
    (await diga.createKey(harness.client({ bearer: harness.rootKey }), { name: 'caller', restricted: false }))
      .value as string;

  it.each(['stall', 'cut'] as const)('keeps answering good credentials when Redis is made to %s', async (outage) => {
    const address = newClientAddress();
    const [warm, cold] = [await newKey(), await newKey()];
    expect(await read(address, warm)).toBe(200);
    proxy[outage]();
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, index) => read(address, [harness.rootKey, warm, cold][index % 3] as string)),
    );
    expect(tally(answers)).toEqual({ 200: BURST });
    expect(harness.rateLimits?.shared).toBe(false);
  });

  it('bounds guessing with this instance’s own count meanwhile, and shares again once Redis answers', async () => {
    const address = newClientAddress();
    proxy.stall();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, attempt) => read(address, `kp_wrong${attempt}`)));
    expect(tally(answers)).toEqual({ 401: LIMIT, 429: 200 - LIMIT });
    proxy.pass();
    await expect.poll(() => harness.rateLimits?.shared, { timeout: 60_000, interval: 50 }).toBe(true);
    // The lockout made while this instance counted alone holds for its whole length.
    expect(await read(address, harness.rootKey)).toBe(429);
    expect(await read(newClientAddress(), harness.rootKey)).toBe(200);
  });
});

describe.runIf(REDIS_URL)('a server whose Redis stops answering', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(REDIS_URL as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  });
  afterAll(() => proxy.close());

  it('stays ready, says it is degraded on /readyz, /metrics and in its log, and recovers', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-redis-outage-'));
    const server = await startServerProcess({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      KEYPLANE_ROOT_KEY: ROOT_KEY,
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_REDIS_TIMEOUT_MS: '100',
    });
    const readiness = async () =>
      (await (await fetch(`${server.url}/readyz`)).json()) as { status: string; checks: Record<string, string> };
    const shared = async () =>
      /keyplane_rate_limits_shared (\d)/.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1];
    const authenticated = async () => {
      const response = await fetch(`${server.url}/v1/keys/verify`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ROOT_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: 'kp_unknown' }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    try {
      expect(await readiness()).toEqual({ status: 'ready', checks: { store: 'ok', migrations: 'ok', redis: 'ok' } });
      expect(await shared()).toBe('1');
      proxy.stall();
      // Every request asks Redis whether its address is locked out: this instance answers instead.
      const statuses = await Promise.all(Array.from({ length: 50 }, () => authenticated()));
      expect(tally(statuses)).toEqual({ 200: 50 });
      expect(await readiness()).toEqual({
        status: 'ready',
        checks: { store: 'ok', migrations: 'ok', redis: 'degraded' },
      });
      expect(await shared()).toBe('0');
      expect(server.output()).toMatch(/"level":"warn".*Redis is slow or unreachable/);
      proxy.pass();
      await expect.poll(async () => (await readiness()).checks.redis, { timeout: 60_000, interval: 100 }).toBe('ok');
      expect(await shared()).toBe('1');
      expect(server.output()).toMatch(/Redis answers again/);
    } finally {
      proxy.pass();
      expect(await server.stop()).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

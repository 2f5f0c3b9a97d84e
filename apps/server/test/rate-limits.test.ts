import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { diga } from '@keyplane/client';
import { requireService } from '@keyplane/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../src/http/rate-limits.js';
import { type Harness, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

const HTTP = { transport: 'http', store: 'embedded', name: 'http, embedded store' } as const;

describe('per-key request limits', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(HTTP, {
      rateLimits: { perKeyPerMinute: 5, failedAuthPerMinute: 0, lockoutSeconds: 60 },
    });
  });
  afterAll(() => harness.close());

  it('counts each key’s requests and answers 429 over the limit, in each dialect’s body', async () => {
    const admin = harness.client({ bearer: harness.rootKey });
    const limited = await diga.createKey(admin, { name: 'limited', restricted: false });
    const other = await diga.createKey(admin, { name: 'other', restricted: false });
    const client = harness.client({ bearer: limited.value as string });
    const remaining: string[] = [];
    for (let request = 0; request < 5; request += 1) {
      const { response } = await client.GET('/v1/api_key/');
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const over: [string, unknown][] = [
      ['/v1/api_key/', { status: 'error', error_code: 'TOO_MANY_REQUESTS', message: expect.any(String) }],
      ['/v1/api_keys', { title: 'Too Many Requests', status: 429 }],
      ['/api-keys', expect.objectContaining({ code: 'too_many_requests' })],
      ['/api/v1/applications', expect.objectContaining({ error: 'Too Many Requests', code: 429 })],
      ['/v1/audit-events', expect.objectContaining({ status: 429, title: 'Too Many Requests' })],
    ];
    for (const [path, body] of over) {
      const response = await harness.fetch(path, { headers: { Authorization: `Bearer ${limited.value as string}` } });
      expect(response.status, path).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(response.headers.get('ratelimit-limit')).toBe('5');
      expect(response.headers.get('ratelimit-remaining')).toBe('0');
      expect((await harness.conforming('GET', path, response)).body, path).toEqual(body);
    }
    expect((await harness.client({ bearer: other.value as string }).GET('/v1/api_key/')).response.status).toBe(200);
    for (let request = 0; request < 10; request += 1) {
      expect((await admin.GET('/v1/api_key/')).response.status).toBe(200);
    }
  });
});

/**
 * A lockout lasts LOCKOUT_SECONDS of real time from the failure that starts it. A busy
 * machine may answer the next requests only after it ended, so an answer is held to the
 * lockout only when it came back while the lockout surely lasted; the test waits for its
 * end before showing the client is let back.
 */
const LOCKOUT_SECONDS = 2;

/**
 * Sends the failures that start a lockout. `lasts` tells whether the lockout surely still
 * lasts; `ended` waits until it is over, even if the requests since had extended it.
 */
async function startLockout(fail: (attempt: number) => Promise<void>) {
  await fail(0);
  await fail(1);
  const sent = Date.now();
  await fail(2);
  return {
    lasts: () => Date.now() < sent + LOCKOUT_SECONDS * 1000,
    ended: () => sleep(LOCKOUT_SECONDS * 1000 + 200),
  };
}

describe('the failed-authentication lockout', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(HTTP, {
      rateLimits: { perKeyPerMinute: 0, failedAuthPerMinute: 3, lockoutSeconds: LOCKOUT_SECONDS },
    });
  });
  afterAll(() => harness.close());

  it('locks a client out after several invalid credentials: 403 on discue, 429 elsewhere, then lets it back', async () => {
    const organization = await newOrganization(harness);
    const lockout = await startLockout(async (attempt) => {
      expect((await harness.fetch('/v1/api_keys', { headers: { 'X-API-KEY': `wrong-${attempt}` } })).status).toBe(401);
    });
    const discueAnswer = await harness.fetch('/v1/api_keys', { headers: { 'X-API-KEY': organization.adminKey } });
    const discueLocked = lockout.lasts();
    const discueBody = (await harness.conforming('GET', '/v1/api_keys', discueAnswer)).body;
    if (discueLocked) {
      expect(discueAnswer.status).toBe(403);
      expect(Number(discueAnswer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(discueBody).toEqual({ title: 'Forbidden', status: 403 });
    }
    const digaAnswer = await harness.fetch('/v1/api_key/', {
      headers: { Authorization: `Bearer ${organization.adminKey}` },
    });
    const digaLocked = lockout.lasts();
    await harness.conforming('GET', '/v1/api_key/', digaAnswer);
    if (digaLocked) expect(digaAnswer.status).toBe(429);
    const token = await harness.fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: randomUUID(),
        client_secret: organization.adminKey,
      }),
    });
    const tokenLocked = lockout.lasts();
    await harness.conforming('POST', '/oauth/token', token);
    if (tokenLocked) expect(token.status).toBe(429);

    await lockout.ended();
    expect((await harness.fetch('/v1/api_keys', { headers: { 'X-API-KEY': organization.adminKey } })).status).toBe(200);
  });

  it('counts failed client-credentials grants too', async () => {
    const lockout = await startLockout(async () => {
      const response = await harness.fetch('/oauth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: randomUUID(), client_secret: 'kp_wrong' }),
      });
      expect(response.status).toBe(401);
    });
    const locked = await harness.fetch('/v1/api_key/', { headers: { Authorization: `Bearer ${harness.rootKey}` } });
    const rootLocked = lockout.lasts();
    await harness.conforming('GET', '/v1/api_key/', locked);
    if (rootLocked) expect(locked.status).toBe(429);
    await lockout.ended();
  });
});

const REDIS_URL = requireService('REDIS_URL');

describe.runIf(REDIS_URL)('limits shared through Redis', () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  const instance = async () => {
    const redis = new Redis(REDIS_URL as string);
    clients.push(redis);
    await redis.ping();
    return new RateLimits({
      perKeyPerMinute: 4,
      failedAuthPerMinute: 2,
      lockoutSeconds: 30,
      redis,
      redisTimeoutMs: 60_000,
    });
  };

  it('lets several instances enforce one limit per key and one lockout per client', async () => {
    const [a, b] = [await instance(), await instance()];
    const key = `key-${randomUUID()}`;
    const allowed: boolean[] = [];
    for (let request = 0; request < 6; request += 1) {
      allowed.push(((await (request % 2 === 0 ? a : b).consume(key)) ?? { allowed: true }).allowed);
    }
    expect(allowed).toEqual([true, true, true, true, false, false]);

    const client = `client-${randomUUID()}`;
    const failOn = async (instance: RateLimits) => {
      const admission = await instance.admit(client);
      if (!admission.admitted) return admission.lockedOut;
      await admission.fail();
      return null;
    };
    expect(await failOn(a)).toBeNull();
    expect(await failOn(b)).toBeNull();
    expect(await a.lockedOut(client)).toMatchObject({ allowed: false });
    expect(await failOn(a)).toMatchObject({ allowed: false });
    expect(await failOn(b)).toMatchObject({ allowed: false });
  });
});

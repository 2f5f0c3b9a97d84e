import { randomUUID } from 'node:crypto';
import { aerospike } from '@keyplane/client';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

const LIMIT = 30;
const BURST = 200;

/** Where the failed authentications are counted: in the process, and in Redis when the run has one. */
const COUNTERS = [
  { counter: 'counted in this process', redis: false },
  ...(process.env.REDIS_URL ? [{ counter: 'counted in Redis', redis: true }] : []),
];
const CASES = SETUPS.flatMap((setup) => COUNTERS.map((counter) => ({ ...setup, ...counter })));

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((counts, status) => {
    counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }, {});

describe.each(CASES)('the failed-authentication lockout under a burst, over $name, $counter', (setup) => {
  let harness: Harness;
  let redis: Redis | undefined;
  beforeAll(async () => {
    redis = setup.redis ? new Redis(process.env.REDIS_URL as string) : undefined;
    // Until Redis is ready every instance counts alone, by design; this test is about Redis.
    await redis?.ping();
    harness = await startHarness(setup, {
      trustProxy: true,
      rateLimits: { perKeyPerMinute: 0, failedAuthPerMinute: LIMIT, lockoutSeconds: 60, ...(redis ? { redis } : {}) },
    });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(async () => {
    await harness.close();
    await redis?.quit();
  });

  // Each test is a client of its own: counts in Redis outlive a run.
  const newClientAddress = () => `client-${randomUUID()}`;
  const listKeys = (address: string, credential: string) =>
    harness.fetch('/api-keys', { headers: { Authorization: `Bearer ${credential}`, 'X-Forwarded-For': address } });
  const grant = (address: string, clientId: string, clientSecret: string) =>
    harness.fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });

  it(`evaluates no more than ${LIMIT} of ${BURST} concurrent wrong keys from one address; the rest are locked out`, async () => {
    const address = newClientAddress();
    const lookupsBefore = harness.credentialLookups();
    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, attempt) => {
        const response = await listKeys(address, `kp_wrong${attempt}`);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(tally(answers)).toEqual({ 401: LIMIT, 429: BURST - LIMIT });
    expect(harness.credentialLookups() - lookupsBefore).toBe(LIMIT);
    // The lockout holds for a good key too, from that address only.
    expect((await listKeys(address, harness.rootKey)).status).toBe(429);
    expect((await listKeys(newClientAddress(), harness.rootKey)).status).toBe(200);
  });

  it(`counts concurrent wrong client credentials at the token endpoint the same way`, async () => {
    const address = newClientAddress();
    const { clientId } = await aerospike.createKey(harness.client({ bearer: harness.rootKey }), 'burst target');
    const lookupsBefore = harness.credentialLookups();
    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, attempt) => {
        const response = await grant(address, clientId, `kp_wrong${attempt}`);
        const body = (await response.json()) as { error?: string; code?: string };
        return `${response.status} ${body.error ?? body.code}`;
      }),
    );
    expect(tally(answers as never)).toEqual({ '401 invalid_client': LIMIT, '429 too_many_requests': BURST - LIMIT });
    expect(harness.credentialLookups() - lookupsBefore).toBe(LIMIT);
  });

  it('gives the point of every good key back: a burst of good keys leaves the address its whole allowance', async () => {
    const address = newClientAddress();
    const { clientId, clientSecret } = await aerospike.createKey(
      harness.client({ bearer: harness.rootKey }),
      'busy client',
    );
    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, attempt) => {
        const response =
          attempt % 2 === 0 ? await listKeys(address, harness.rootKey) : await grant(address, clientId, clientSecret);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    // More good keys at once than the limit may be turned away while they are in flight,
    // since each is a guess until it is looked up, but never locked out for it.
    expect(answers.filter((status) => status === 200).length).toBeGreaterThanOrEqual(LIMIT);
    expect(answers.every((status) => status === 200 || status === 429)).toBe(true);
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expect((await listKeys(address, `kp_wrong${attempt}`)).status, `wrong key ${attempt + 1}`).toBe(401);
    }
    expect((await listKeys(address, harness.rootKey)).status).toBe(429);
  });
});

import { randomUUID } from 'node:crypto';
import { aerospike, diga } from '@keyplane/client';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

const LIMIT = 30;
const BURST = 1_000;

/** Where the failed authentications are counted: in the process, and in Redis when the run has one. */
const COUNTERS = [
  { counter: 'counted in this process', redis: false },
  ...(process.env.REDIS_URL ? [{ counter: 'counted in Redis', redis: true }] : []),
];
const CASES = SETUPS.flatMap((setup) => COUNTERS.map((counter) => ({ ...setup, ...counter })));

const tally = (answers: readonly (number | string)[]) =>
  answers.reduce<Record<string, number>>((counts, answer) => {
    counts[answer] = (counts[answer] ?? 0) + 1;
    return counts;
  }, {});

/** `total` calls of `send`, at most `parallel` at once, as that many connections would. */
async function inParallel<T>(total: number, parallel: number, send: (index: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, total) }, async () => {
      while (next < total) {
        const index = next;
        next += 1;
        answers[index] = await send(index);
      }
    }),
  );
  return answers;
}

describe.each(CASES)('the failed-authentication lockout under a burst, over $name, $counter', (setup) => {
  let harness: Harness;
  let redis: Redis | undefined;
  beforeAll(async () => {
    redis = setup.redis ? new Redis(process.env.REDIS_URL as string) : undefined;
    await redis?.ping();
    harness = await startHarness(setup, {
      trustProxy: true,
      rateLimits: {
        perKeyPerMinute: 0,
        failedAuthPerMinute: LIMIT,
        lockoutSeconds: 60,
        // A machine busy enough to hold Redis's answers past the usual deadline would make this
        // instance count alone, by design (redis-outage.test.ts); here every count is Redis's.
        ...(redis ? { redis, redisTimeoutMs: 60_000 } : {}),
        // However busy the machine, a look-up waiting for a point here is answered, not given up.
        admissionWaitMs: 600_000,
      },
    });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(async () => {
    await harness.close();
    await redis?.quit();
  });

  // Each test is a client of its own: counts in Redis outlive a run.
  const newClientAddress = () => `client-${randomUUID()}`;
  const admin = () => harness.client({ bearer: harness.rootKey });
  /** A key made for the test: unrestricted, and in no instance's memory yet. */
  const newKey = async (name: string) => (await diga.createKey(admin(), { name, restricted: false })).value as string;
  const listKeys = (address: string, credential: string) =>
    harness.fetch('/api-keys', { headers: { Authorization: `Bearer ${credential}`, 'X-Forwarded-For': address } });
  /** An operation that is no list (lists take turns per organization): verification of a key. */
  const verify = async (address: string, credential: string, key: string) => {
    const response = await harness.fetch('/v1/keys/verify', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${credential}`,
        'X-Forwarded-For': address,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ key }),
    });
    const body = (await response.json()) as { valid?: boolean };
    return `${response.status} ${body.valid ?? '-'}`;
  };
  const grant = (address: string, clientId: string, clientSecret: string) =>
    harness.fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
  const status = async (response: Promise<Response>) => {
    const answered = await response;
    await answered.arrayBuffer();
    return answered.status;
  };

  describe('never refuses good credentials for being many at once', () => {
    it(`answers ${BURST} concurrent requests with the root key as it answers one`, async () => {
      const address = newClientAddress();
      const target = await newKey('verified');
      expect(await verify(address, harness.rootKey, target)).toBe('200 true');
      const answers = await Promise.all(Array.from({ length: BURST }, () => verify(address, harness.rootKey, target)));
      expect(tally(answers)).toEqual({ '200 true': BURST });
    });

    it(`answers ${BURST} concurrent requests with one key no instance holds in memory yet`, async () => {
      const address = newClientAddress();
      const [caller, target] = [await newKey('cold caller'), await newKey('verified')];
      const lookupsBefore = harness.credentialLookups();
      const answers = await Promise.all(Array.from({ length: BURST }, () => verify(address, caller, target)));
      expect(tally(answers)).toEqual({ '200 true': BURST });
      // The first look-ups brought the key into memory; the rest were proven from there. (On
      // PostgreSQL an instance reads through while its lease is not renewed, as a busy machine may make it.)
      if (setup.store === 'embedded') expect(harness.credentialLookups() - lookupsBefore).toBeLessThanOrEqual(LIMIT);
    });

    it(`answers ${BURST} concurrent requests across the usage write that drops the key from memory`, async () => {
      const address = newClientAddress();
      const [caller, target] = [await newKey('caller'), await newKey('verified')];
      expect(await verify(address, caller, target)).toBe('200 true');
      const answers = await Promise.all(
        Array.from({ length: BURST }, async (_, index) => {
          if (index === BURST / 2) await harness.flushUsage();
          return verify(address, caller, target);
        }),
      );
      expect(tally(answers)).toEqual({ '200 true': BURST });
    });

    it(`answers ${BURST} concurrent requests with 40 keys, each new, ${LIMIT} and more at once`, async () => {
      const address = newClientAddress();
      const target = await newKey('verified');
      const callers: string[] = [];
      for (let key = 0; key < 40; key += 1) callers.push(await newKey(`caller ${key}`));
      const answers = await Promise.all(
        Array.from({ length: BURST }, (_, index) => verify(address, callers[index % callers.length] as string, target)),
      );
      expect(tally(answers)).toEqual({ '200 true': BURST });
    });

    it(`answers ${BURST} concurrent requests with access tokens, and 200 concurrent grants`, async () => {
      const address = newClientAddress();
      const { clientId, clientSecret } = await aerospike.createKey(admin(), 'token client');
      const grants = await Promise.all(
        Array.from({ length: 200 }, () => status(grant(address, clientId, clientSecret))),
      );
      expect(tally(grants)).toEqual({ 200: 200 });
      const { access_token: token } = await aerospike.token(harness.client(), clientId, clientSecret);
      const fresh = await aerospike.createKey(admin(), 'cold token client');
      const { access_token: coldToken } = await aerospike.token(harness.client(), fresh.clientId, fresh.clientSecret);
      const read = (credential: string) =>
        status(
          harness.fetch(`/v1/api_keys/${clientId}`, {
            headers: { Authorization: `Bearer ${credential}`, 'X-Forwarded-For': address },
          }),
        );
      expect(await read(token)).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: BURST }, (_, index) => read(index % 2 === 0 ? token : coldToken)),
      );
      expect(tally(answers)).toEqual({ 200: BURST });
    });

    it.each([64, 256])(
      `answers ${BURST} verifications from %i parallel connections, every one valid`,
      async (parallel) => {
        const address = newClientAddress();
        const [caller, target] = [await newKey('gateway'), await newKey('customer')];
        const answers = await inParallel(BURST, parallel, () => verify(address, caller, target));
        expect(tally(answers)).toEqual({ '200 true': BURST });
      },
    );

    it(`answers a good burst beside ${LIMIT - 1} wrong keys without locking the address out`, async () => {
      const address = newClientAddress();
      const [caller, target] = [await newKey('busy caller'), await newKey('verified')];
      const answers = await Promise.all(
        Array.from({ length: BURST + LIMIT - 1 }, (_, index) =>
          index % 35 === 0 && index / 35 < LIMIT - 1
            ? verify(address, `kp_wrong${index}`, target)
            : verify(address, caller, target),
        ),
      );
      expect(tally(answers)).toEqual({ '200 true': BURST, '401 -': LIMIT - 1 });
      // The good ones gave every point back: one more wrong key is the last the address may make.
      expect(await verify(address, 'kp_wrong-last', target)).toBe('401 -');
      expect(await verify(address, caller, target)).toBe('429 -');
    });
  });

  describe('keeps guessing bounded', () => {
    it.each([200, BURST])(
      `judges no more than ${LIMIT} of %i concurrent wrong keys; the rest are locked out`,
      async (burst) => {
        const address = newClientAddress();
        const lookupsBefore = harness.credentialLookups();
        const answers = await Promise.all(
          Array.from({ length: burst }, (_, attempt) => status(listKeys(address, `kp_wrong${attempt}`))),
        );
        expect(tally(answers)).toEqual({ 401: LIMIT, 429: burst - LIMIT });
        expect(harness.credentialLookups() - lookupsBefore).toBe(LIMIT);
        // The lockout holds for a good key too, however many are sent, from that address only.
        const good = await Promise.all(Array.from({ length: 100 }, () => status(listKeys(address, harness.rootKey))));
        expect(tally(good)).toEqual({ 429: 100 });
        expect(await status(listKeys(newClientAddress(), harness.rootKey))).toBe(200);
      },
    );

    it(`judges no more than ${LIMIT} of ${BURST} wrong keys sent beside good ones`, async () => {
      const address = newClientAddress();
      const [caller, target] = [await newKey('caller'), await newKey('verified')];
      // Interleaved, as many at once as the other bursts send.
      const answers = await inParallel(2 * BURST, BURST, (index) =>
        index % 2 === 0 ? verify(address, `kp_wrong${index}`, target) : verify(address, caller, target),
      );
      const counts = tally(answers);
      expect(counts['401 -']).toBe(LIMIT);
      expect(Object.keys(counts).filter((answer) => !['200 true', '401 -', '429 -'].includes(answer))).toEqual([]);
      expect(await verify(address, caller, target)).toBe('429 -');
    });

    it(`counts concurrent wrong client credentials at the token endpoint the same way`, async () => {
      const address = newClientAddress();
      const { clientId } = await aerospike.createKey(admin(), 'burst target');
      const lookupsBefore = harness.credentialLookups();
      const answers = await Promise.all(
        Array.from({ length: 200 }, async (_, attempt) => {
          const response = await grant(address, clientId, `kp_wrong${attempt}`);
          const body = (await response.json()) as { error?: string; code?: string };
          return `${response.status} ${body.error ?? body.code}`;
        }),
      );
      expect(tally(answers)).toEqual({ '401 invalid_client': LIMIT, '429 too_many_requests': 200 - LIMIT });
      expect(harness.credentialLookups() - lookupsBefore).toBe(LIMIT);
    });

    it('counts wrong access tokens as wrong keys', async () => {
      const address = newClientAddress();
      const { clientId, clientSecret } = await aerospike.createKey(admin(), 'forged');
      const { access_token: token } = await aerospike.token(harness.client(), clientId, clientSecret);
      const [header, payload] = token.split('.');
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, attempt) =>
          status(listKeys(address, `${header}.${payload}.${Buffer.from(`forged ${attempt}`).toString('base64url')}`)),
        ),
      );
      expect(tally(answers)).toEqual({ 401: LIMIT, 429: 200 - LIMIT });
    });
  });
});

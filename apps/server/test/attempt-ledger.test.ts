import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireService } from '@keyplane/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../src/http/attempt-ledger.js';
import { RateLimits } from '../src/http/rate-limits.js';

const REDIS_URL = requireService('REDIS_URL');
const LIMIT = 30;

describe.runIf(REDIS_URL)('the ledger every instance shares, in Redis', () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  const connect = async () => {
    const redis = new Redis(REDIS_URL as string);
    clients.push(redis);
    await redis.ping();
    return redis;
  };
  const instance = async () =>
    new RateLimits({
      perKeyPerMinute: 0,
      failedAuthPerMinute: LIMIT,
      lockoutSeconds: 60,
      redis: await connect(),
      redisTimeoutMs: 60_000,
    });

  it(`judges at most ${LIMIT} of 1,000 wrong credentials sent at once to two instances`, async () => {
    const [a, b] = [await instance(), await instance()];
    const client = `client-${randomUUID()}`;
    let judged = 0;
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, async (_, attempt) => {
        const admission = await (attempt % 2 === 0 ? a : b).admit(client);
        if (!admission.admitted) return admission.lockedOut ? 'locked' : 'unjudged';
        judged += 1;
        await admission.fail();
        return 'wrong';
      }),
    );
    expect(judged).toBe(LIMIT);
    expect(answers.filter((answer) => answer === 'locked')).toHaveLength(1_000 - LIMIT);
    expect(await b.lockedOut(client)).toMatchObject({ allowed: false });
  });

  it('lets 1,000 good credentials sent at once to two instances through, and leaves the whole allowance', async () => {
    const [a, b] = [await instance(), await instance()];
    const client = `client-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, async (_, attempt) => {
        const admission = await (attempt % 2 === 0 ? a : b).admit(client);
        if (admission.admitted) {
          await sleep(1);
          admission.release();
        }
        return admission.admitted;
      }),
    );
    expect(answers.every(Boolean)).toBe(true);
    for (let failure = 1; failure <= LIMIT; failure += 1) {
      const admission = await a.admit(client);
      expect(admission.admitted, `failure ${failure}`).toBe(true);
      if (admission.admitted) await admission.fail();
    }
    expect(await a.lockedOut(client)).toMatchObject({ allowed: false });
  });

  it('holds a lockout for its whole length, whatever is given back meanwhile', async () => {
    const redis = await connect();
    const ledger = new RedisLedger(redis, { limit: 3, windowMs: 60_000, lockoutMs: 120_000 });
    const client = `client-${randomUUID()}`;
    for (const id of ['1', '2', '3']) expect(await ledger.reserve(client, id)).toEqual({ outcome: 'granted' });
    expect(await ledger.fail(client, '1')).toBe(0);
    await ledger.release(client, '2');
    expect(await ledger.fail(client, '3')).toBe(0);
    expect(await ledger.reserve(client, '4')).toEqual({ outcome: 'granted' });
    expect(await ledger.fail(client, '4')).toBe(120_000);
    // A look-up judged wrong after the lockout began neither lifts nor lengthens it, nor counts for later.
    expect(await ledger.fail(client, 'late')).toBeGreaterThan(100_000);
    expect(await redis.exists(`keyplane:attempts:{${client}}:failures`)).toBe(0);
    const lockedFor = await ledger.lockedFor(client);
    expect(lockedFor).toBeGreaterThan(100_000);
    expect(lockedFor).toBeLessThanOrEqual(120_000);
    expect(await ledger.reserve(client, '4')).toMatchObject({ outcome: 'locked' });
  });

  it('frees the point of a reservation whose instance never answered, once it lapses', async () => {
    const redis = await connect();
    const ledger = new RedisLedger(redis, { limit: 1, windowMs: 60_000, lockoutMs: 60_000, lapseMs: 200 });
    const client = `client-${randomUUID()}`;
    expect(await ledger.reserve(client, 'abandoned')).toEqual({ outcome: 'granted' });
    expect(await ledger.reserve(client, 'next')).toEqual({ outcome: 'full' });
    await expect
      .poll(() => ledger.reserve(client, 'next').then((reservation) => reservation.outcome), {
        timeout: 60_000,
        interval: 50,
      })
      .toBe('granted');
  });
});

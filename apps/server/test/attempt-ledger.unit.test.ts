import type { Admission, Refusal } from '@keyplane/core';
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../src/http/attempt-ledger.js';
import { RateLimits } from '../src/http/rate-limits.js';

const SETTINGS = { limit: 3, windowMs: 60_000, lockoutMs: 300_000 };

function clocked() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the memory ledger', () => {
  it('lets through no more look-ups at once than the points its address has left', async () => {
    const ledger = new MemoryLedger(SETTINGS);
    expect(await ledger.reserve('a', '1')).toEqual({ outcome: 'granted' });
    expect(await ledger.fail('a', '1')).toBe(0);
    expect(await ledger.reserve('a', '2')).toEqual({ outcome: 'granted' });
    expect(await ledger.reserve('a', '3')).toEqual({ outcome: 'granted' });
    expect(await ledger.reserve('a', '4')).toEqual({ outcome: 'full' });
    // Another address has points of its own.
    expect(await ledger.reserve('b', '1')).toEqual({ outcome: 'granted' });
    await ledger.release('a', '2');
    expect(await ledger.reserve('a', '4')).toEqual({ outcome: 'granted' });
  });

  it('locks out on the failure that reaches the limit, for the lockout’s whole length, then starts clean', async () => {
    const clock = clocked();
    const ledger = new MemoryLedger(SETTINGS, clock.now);
    for (const id of ['1', '2', '3']) expect(await ledger.reserve('a', id)).toEqual({ outcome: 'granted' });
    expect(await ledger.fail('a', '1')).toBe(0);
    expect(await ledger.fail('a', '2')).toBe(0);
    expect(await ledger.fail('a', '3')).toBe(SETTINGS.lockoutMs);
    clock.advance(SETTINGS.lockoutMs - 1);
    expect(await ledger.lockedFor('a')).toBe(1);
    // The windows that ended meanwhile do not lift it, and a late failure neither lengthens it nor counts for later.
    expect(await ledger.reserve('a', '5')).toEqual({ outcome: 'locked', lockedForMs: 1 });
    expect(await ledger.fail('a', 'late')).toBe(1);
    clock.advance(1);
    expect(await ledger.lockedFor('a')).toBe(0);
    for (const id of ['6', '7', '8']) expect(await ledger.reserve('a', id)).toEqual({ outcome: 'granted' });
  });

  it('forgets failures when their window ends', async () => {
    const clock = clocked();
    const ledger = new MemoryLedger(SETTINGS, clock.now);
    for (const id of ['1', '2']) {
      await ledger.reserve('a', id);
      await ledger.fail('a', id);
    }
    clock.advance(SETTINGS.windowMs);
    for (const id of ['3', '4']) {
      await ledger.reserve('a', id);
      expect(await ledger.fail('a', id)).toBe(0);
    }
  });
});

describe('admissions in line', () => {
  const limits = (admissionWaitMs = 60_000) =>
    new RateLimits({ perKeyPerMinute: 0, failedAuthPerMinute: 3, lockoutSeconds: 60, admissionWaitMs });
  const admitted = (answer: Admission | Refusal): Admission => {
    if (!answer.admitted) throw new Error('refused');
    return answer;
  };

  it('makes look-ups past the free points wait, in order, and lets each through as a point comes back', async () => {
    const rateLimits = limits();
    const held = await Promise.all([1, 2, 3].map(async () => admitted(await rateLimits.admit('a'))));
    const order: number[] = [];
    const waiting = [1, 2, 3, 4, 5].map((n) =>
      rateLimits.admit('a').then((answer) => {
        order.push(n);
        return admitted(answer);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    for (const admission of held) admission.release();
    const next = await Promise.all(waiting.slice(0, 3));
    expect(next.every((admission) => admission.waited)).toBe(true);
    expect(order).toEqual([1, 2, 3]);
    for (const admission of next) admission.release();
    await Promise.all(waiting.slice(3));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets waiters whose credential memory now proves good leave the line when a point comes back, needing none', async () => {
    const rateLimits = limits();
    const held = await Promise.all([1, 2, 3].map(async () => admitted(await rateLimits.admit('a'))));
    let inMemory = false;
    const waiting = Array.from({ length: 5 }, () => rateLimits.admit('a', async () => inMemory));
    await new Promise((resolve) => setTimeout(resolve, 20));
    inMemory = true;
    held[0]?.release();
    expect(await Promise.all(waiting)).toEqual(Array(5).fill({ admitted: false, lockedOut: null, proven: true }));
    // They took no point: the two still held and the one given back are all there is.
    const next = admitted(await rateLimits.admit('a'));
    expect(next.waited).toBe(false);
    next.release();
    for (const admission of held.slice(1)) admission.release();
  });

  it('refuses the line once its address is locked out', async () => {
    const rateLimits = limits();
    const held = await Promise.all([1, 2, 3].map(async () => admitted(await rateLimits.admit('a'))));
    const waiting = Array.from({ length: 10 }, () => rateLimits.admit('a'));
    for (const admission of held) await admission.fail();
    const answers = await Promise.all(waiting);
    expect(answers.every((answer) => !answer.admitted && answer.lockedOut?.allowed === false)).toBe(true);
    expect(await rateLimits.lockedOut('a')).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
  });

  it('answers a look-up that found no free point in time as unjudged, not locked out', async () => {
    const rateLimits = limits(30);
    const held = await Promise.all([1, 2, 3].map(async () => admitted(await rateLimits.admit('a'))));
    expect(await rateLimits.admit('a')).toEqual({ admitted: false, lockedOut: null });
    held[0]?.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await rateLimits.admit('a')).admitted).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { type ApiKey, limitsToTake, type NamedRateLimit, windowOf } from '../src/index.js';

const limit = (name: string, value: number, autoApply = false): NamedRateLimit => ({
  name,
  limit: value,
  durationMs: 1_000,
  autoApply,
});

const keyWith = (own: NamedRateLimit[], identity: NamedRateLimit[] | null) =>
  ({
    id: 'k1',
    ratelimits: own,
    identity: identity === null ? null : { id: 'i1', externalId: 'cus', meta: null, ratelimits: identity },
  }) as unknown as ApiKey;

describe('what a verification counts', () => {
  it('counts the limits it names and those applied to every verification, each once', () => {
    const key = keyWith([limit('a', 5), limit('b', 6, true), limit('c', 7)], null);
    expect(limitsToTake(key, [{ name: 'a', cost: 3 }, { name: 'missing' }])).toEqual([
      { subject: 'key:k1', name: 'b', limit: 6, durationMs: 1_000, cost: 1 },
      { subject: 'key:k1', name: 'a', limit: 5, durationMs: 1_000, cost: 3 },
    ]);
    // Named and applied to every verification: counted once, at the cost named.
    expect(limitsToTake(key, [{ name: 'b', cost: 0 }])).toEqual([
      { subject: 'key:k1', name: 'b', limit: 6, durationMs: 1_000, cost: 0 },
    ]);
    expect(limitsToTake(key, [])).toHaveLength(1);
  });

  it('counts an identity’s limit for the identity, and a key’s own of that name in its place', () => {
    const shared = keyWith([], [limit('plan', 10, true)]);
    expect(limitsToTake(shared, [])).toEqual([
      { subject: 'identity:i1', name: 'plan', limit: 10, durationMs: 1_000, cost: 1 },
    ]);
    const own = keyWith([limit('plan', 2)], [limit('plan', 10, true)]);
    expect(limitsToTake(own, [])).toEqual([]);
    expect(limitsToTake(own, [{ name: 'plan' }])).toEqual([
      { subject: 'key:k1', name: 'plan', limit: 2, durationMs: 1_000, cost: 1 },
    ]);
  });

  it('puts each instant in one fixed window', () => {
    expect(windowOf(10_000, 25_000)).toEqual({ start: 20_000, reset: 30_000 });
    expect(windowOf(10_000, 30_000)).toEqual({ start: 30_000, reset: 40_000 });
  });
});

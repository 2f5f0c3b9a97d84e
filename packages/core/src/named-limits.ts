import type { ApiKey, NamedRateLimit } from './model.js';
import type { RateLimitOutcome, RateLimitState, RateLimitTake } from './ports.js';

/** The most named limits a key or an identity holds. */
export const MAX_NAMED_LIMITS = 20;

/** A limit a verification names, with what it costs there (1 unless said). */
export interface AskedLimit {
  readonly name: string;
  readonly cost?: number | undefined;
}

/**
 * Whether limits given in place of `current` let a key be verified more: one of them gone, or
 * kept with a higher limit, a shorter window, or no longer counting every verification.
 */
export function loosensLimits(current: readonly NamedRateLimit[], next: readonly NamedRateLimit[]): boolean {
  return current.some((held) => {
    const kept = next.find((limit) => limit.name === held.name);
    return (
      kept === undefined ||
      kept.limit > held.limit ||
      kept.durationMs < held.durationMs ||
      (held.autoApply && !kept.autoApply)
    );
  });
}

/** The fixed window of `durationMs` holding `at`: its start and its end (epoch ms). */
export function windowOf(durationMs: number, at: number): { start: number; reset: number } {
  const start = Math.floor(at / durationMs) * durationMs;
  return { start, reset: start + durationMs };
}

/**
 * What a verification of `key` counts: the limits it names and those applied to every
 * verification, each once, the key's own before its identity's of the same name. A name the
 * key and its identity lack counts nothing.
 */
export function limitsToTake(key: ApiKey, asked: readonly AskedLimit[]): RateLimitTake[] {
  // The common key has none: nothing built on the hot path for it.
  if (key.ratelimits.length === 0 && !key.identity?.ratelimits.length) return [];
  const held = new Map<string, { limit: NamedRateLimit; subject: string }>();
  for (const limit of key.identity?.ratelimits ?? []) {
    held.set(limit.name, { limit, subject: `identity:${key.identity?.id}` });
  }
  for (const limit of key.ratelimits) held.set(limit.name, { limit, subject: `key:${key.id}` });
  const costs = new Map<string, number>();
  for (const { limit } of held.values()) if (limit.autoApply) costs.set(limit.name, 1);
  for (const { name, cost } of asked) if (held.has(name)) costs.set(name, cost ?? 1);
  return [...costs].map(([name, cost]) => {
    const { limit, subject } = held.get(name) as { limit: NamedRateLimit; subject: string };
    return { subject, name, limit: limit.limit, durationMs: limit.durationMs, cost };
  });
}

/**
 * Named limits counted in this process, in fixed windows: exact for one process (the embedded
 * store and the memory store have no other). Counts of ended windows are dropped as they are met
 * and in a sweep now and then, so memory holds the limits in use.
 */
export class LocalRateLimits {
  readonly #windows = new Map<string, { start: number; used: number; reset: number }>();
  #takesSinceSweep = 0;

  take(takes: readonly RateLimitTake[], at: Date): RateLimitOutcome {
    const now = at.getTime();
    this.#sweep(now);
    const current = takes.map((take) => {
      const window = windowOf(take.durationMs, now);
      const stored = this.#windows.get(counterOf(take));
      // As the SQL store counts: in this window or the next, never one further off.
      const known =
        stored && stored.start >= window.start && stored.start <= window.start + take.durationMs ? stored : undefined;
      const used = known ? known.used : 0;
      const start = known ? known.start : window.start;
      return { take, used, start, reset: start + take.durationMs };
    });
    const admitted = current.every(({ take, used }) => used + take.cost <= take.limit);
    const states: RateLimitState[] = current.map(({ take, used, start, reset }) => {
      const counted = admitted ? used + take.cost : used;
      if (admitted) this.#windows.set(counterOf(take), { start, used: counted, reset });
      return {
        name: take.name,
        limit: take.limit,
        remaining: Math.max(0, take.limit - counted),
        reset,
        exceeded: used + take.cost > take.limit,
      };
    });
    return { admitted, states };
  }

  #sweep(now: number): void {
    this.#takesSinceSweep += 1;
    if (this.#takesSinceSweep < 10_000) return;
    this.#takesSinceSweep = 0;
    for (const [counter, window] of this.#windows) if (window.reset <= now) this.#windows.delete(counter);
  }
}

const counterOf = (take: RateLimitTake) => `${take.subject}\u0000${take.name}`;

import { randomUUID } from 'node:crypto';
import type { Admission, Allowance, AttemptLimits, ProvenYet, Refusal } from '@keyplane/core';
import type { Redis } from 'ioredis';
import { type IRateLimiterOptions, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import {
  type AttemptLedger,
  type LedgerSettings,
  MemoryLedger,
  RedisLedger,
  type Reservation,
} from './attempt-ledger.js';
import { SharedCounters } from './shared-counters.js';

export interface RateLimitSettings {
  /** Requests one key (or its access tokens) may make per minute; 0 turns the limit off. */
  readonly perKeyPerMinute: number;
  /** Failed authentications one client address may make per minute before it is locked out; 0: off. */
  readonly failedAuthPerMinute: number;
  /** How long a locked-out client address stays locked out. */
  readonly lockoutSeconds: number;
  /** Shared counters for several instances; in memory when absent. */
  readonly redis?: Redis;
  /** How long one Redis command may take before this instance counts alone (1 s when absent). */
  readonly redisTimeoutMs?: number;
  /** How often a Redis that stopped answering is asked again (1 s when absent). */
  readonly probeIntervalMs?: number;
  /** How long a look-up may wait for a free point of its address before it is answered 503 (10 s when absent). */
  readonly admissionWaitMs?: number;
  /** Told when the limits stop or start being shared through Redis. */
  readonly onSharingChange?: (shared: boolean, error?: unknown) => void;
}

/** The answer headers of a rate-limited request: Retry-After when refused, RateLimit-* always. */
export function rateLimitHeaders(allowance: Allowance): Record<string, string> {
  return {
    'RateLimit-Limit': String(allowance.limit),
    'RateLimit-Remaining': String(allowance.remaining),
    'RateLimit-Reset': String(allowance.resetSeconds),
    ...(allowance.allowed ? {} : { 'Retry-After': String(allowance.resetSeconds) }),
  };
}

const UNGUARDED: Admission = { admitted: true, waited: false, release: () => {}, fail: async () => {} };

const seconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/** An attempt waiting in its address's line for a point to come free. */
interface Waiter {
  readonly resolve: (answer: Admission | Refusal) => void;
  readonly deadline: number;
  readonly provenYet: ProvenYet | undefined;
}

/** How often a full address's line asks again, at first and at most (Redis frees points of other instances unseen). */
const FIRST_RETRY_MS = 2;
const LAST_RETRY_MS = 100;

/**
 * Request and failed-authentication limits: in this process, or in Redis so that every
 * instance counts against one limit — and, when Redis is slow or gone, in this process
 * again until it answers (`shared` says which).
 *
 * The lockout bounds guessing without refusing good credentials. A credential memory
 * proves good (the root key, a key this instance holds) needs nothing from here but the
 * lockout check. Every other one is judged under a point of its address (`admit`): at most
 * `failedAuthPerMinute` are judged at once or wrong per window, and the rest wait in line —
 * never refused for being many — until a point comes free or the address is locked out.
 */
export class RateLimits implements AttemptLimits {
  readonly #settings: RateLimitSettings;
  readonly #shared: SharedCounters | undefined;
  readonly #perKey: { readonly local: RateLimiterMemory; readonly shared: RateLimiterRedis | null } | null;
  /** This instance's ledger: the count when Redis is absent or not answering, and lockouts made meanwhile. */
  readonly #local: MemoryLedger | null;
  readonly #remote: AttemptLedger | null;
  readonly #lines = new Map<string, Waiter[]>();
  /** Tells the line of an address that a point of this instance's came free, or its address was locked out. */
  readonly #signals = new Map<string, { woken: boolean; wake: (() => void) | null }>();

  constructor(settings: RateLimitSettings) {
    this.#settings = settings;
    this.#shared = settings.redis
      ? new SharedCounters(settings.redis, {
          timeoutMs: settings.redisTimeoutMs ?? 1_000,
          ...(settings.probeIntervalMs ? { probeIntervalMs: settings.probeIntervalMs } : {}),
          ...(settings.onSharingChange ? { onChange: settings.onSharingChange } : {}),
        })
      : undefined;
    const perKey: IRateLimiterOptions = { keyPrefix: 'keyplane:key', points: settings.perKeyPerMinute, duration: 60 };
    this.#perKey =
      settings.perKeyPerMinute > 0
        ? {
            local: new RateLimiterMemory(perKey),
            shared: settings.redis ? new RateLimiterRedis({ ...perKey, storeClient: settings.redis }) : null,
          }
        : null;
    const ledger: LedgerSettings = {
      limit: settings.failedAuthPerMinute,
      windowMs: 60_000,
      lockoutMs: settings.lockoutSeconds * 1000,
    };
    this.#local = settings.failedAuthPerMinute > 0 ? new MemoryLedger(ledger) : null;
    this.#remote = settings.failedAuthPerMinute > 0 && settings.redis ? new RedisLedger(settings.redis, ledger) : null;
  }

  /** Whether the counts are shared through Redis now; undefined when no Redis is configured. */
  get shared(): boolean | undefined {
    return this.#shared?.shared;
  }

  /** As `shared`, after asking Redis whether it answers. */
  async checkSharing(): Promise<boolean | undefined> {
    return this.#shared?.answers();
  }

  /** Counts one request of a key; refused once the key is over its limit. */
  async consume(keyId: string): Promise<Allowance | null> {
    const perKey = this.#perKey;
    if (!perKey) return null;
    const limit = this.#settings.perKeyPerMinute;
    // A refusal is an answer, not a failure of Redis: it comes back as a value.
    const counted = (limiter: RateLimiterMemory | RateLimiterRedis) =>
      limiter.consume(keyId).catch((rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) return { refused: rejection };
        throw rejection;
      });
    const shared = perKey.shared;
    const result = shared
      ? await this.#run(
          () => counted(shared),
          () => counted(perKey.local),
        )
      : await counted(perKey.local);
    if ('refused' in result) {
      return { allowed: false, limit, remaining: 0, resetSeconds: seconds(result.refused.msBeforeNext) };
    }
    return { allowed: true, limit, remaining: result.remainingPoints, resetSeconds: seconds(result.msBeforeNext) };
  }

  /** The lockout of a client address, or null when it is not locked out. */
  async lockedOut(client: string): Promise<Allowance | null> {
    const local = this.#local;
    if (!local) return null;
    let lockedForMs = local.lockedForNow(client);
    const remote = this.#remote;
    if (lockedForMs === 0 && remote)
      lockedForMs = await this.#run(
        () => remote.lockedFor(client),
        () => 0,
      );
    return lockedForMs > 0 ? this.#lockout(lockedForMs) : null;
  }

  /**
   * Leave to look up a credential of a client address that memory could not prove good:
   * at once while the address has a free point, else in line, in order, until one comes
   * free; refused once the address is locked out, or when no point came free in time.
   * While it waits, `provenYet` is asked again whenever a point comes back (most often
   * because a credential proved good, and is now in memory): once it says yes, the attempt
   * leaves the line without a point.
   */
  async admit(client: string, provenYet?: ProvenYet): Promise<Admission | Refusal> {
    if (!this.#local) return UNGUARDED;
    if (!this.#lines.has(client)) {
      const id = randomUUID();
      const reserved = await this.#reserve(client, id);
      if (reserved.reservation.outcome === 'granted') return this.#admission(client, id, reserved.ledger, false);
      if (reserved.reservation.outcome === 'locked') return this.#refusal(reserved.reservation.lockedForMs);
    }
    return new Promise((resolve) => {
      const waiter = { resolve, deadline: performance.now() + (this.#settings.admissionWaitMs ?? 10_000), provenYet };
      const line = this.#lines.get(client);
      if (line) {
        line.push(waiter);
        return;
      }
      const started = [waiter];
      this.#lines.set(client, started);
      this.#serve(client, started).catch(() => {
        // Whatever broke the line, nobody is left waiting in it: each is answered as unjudged.
        for (const stranded of started.splice(0)) stranded.resolve(this.#refusal(0));
        this.#lines.delete(client);
        this.#signals.delete(client);
      });
    });
  }

  close(): void {
    this.#shared?.close();
  }

  /** Serves an address's line: a point for each waiter in turn, as points come free. */
  async #serve(client: string, line: Waiter[]): Promise<void> {
    let retryMs = FIRST_RETRY_MS;
    let signalled = false;
    while (line.length > 0) {
      if (signalled) await this.#letProvenGo(line);
      const now = performance.now();
      while (line.length > 0 && (line[0] as Waiter).deadline <= now) line.shift()?.resolve(this.#refusal(0));
      const first = line[0];
      if (!first) break;
      const id = randomUUID();
      const { ledger, reservation } = await this.#reserve(client, id);
      if (reservation.outcome === 'granted') {
        line.shift();
        first.resolve(this.#admission(client, id, ledger, true));
        retryMs = FIRST_RETRY_MS;
        signalled = false;
        continue;
      }
      if (reservation.outcome === 'locked') {
        for (const waiter of line.splice(0)) waiter.resolve(this.#refusal(reservation.lockedForMs));
        break;
      }
      signalled = await this.#nextSignal(client, retryMs);
      retryMs = Math.min(LAST_RETRY_MS, retryMs * 2);
    }
    this.#lines.delete(client);
    this.#signals.delete(client);
  }

  /** Lets every waiter whose credential memory now proves good leave the line, needing no point. */
  async #letProvenGo(line: Waiter[]): Promise<void> {
    const asked = [...line];
    const proven = await Promise.all(asked.map((waiter) => waiter.provenYet?.().catch(() => false) ?? false));
    asked.forEach((waiter, index) => {
      if (!proven[index]) return;
      line.splice(line.indexOf(waiter), 1);
      waiter.resolve({ admitted: false, lockedOut: null, proven: true });
    });
  }

  /**
   * Waits for the address's next signal, or `retryMs`; a signal given while the line was busy
   * is not lost. True when a signal came.
   */
  async #nextSignal(client: string, retryMs: number): Promise<boolean> {
    const signal = this.#signals.get(client) ?? { woken: false, wake: null };
    this.#signals.set(client, signal);
    if (!signal.woken) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        signal.wake = () => {
          signal.woken = true;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const woken = signal.woken;
    signal.woken = false;
    signal.wake = null;
    return woken;
  }

  #signal(client: string): void {
    if (!this.#lines.has(client)) return;
    const signal = this.#signals.get(client);
    if (!signal) this.#signals.set(client, { woken: true, wake: null });
    else if (signal.wake) signal.wake();
    else signal.woken = true;
  }

  async #reserve(client: string, id: string): Promise<{ ledger: AttemptLedger; reservation: Reservation }> {
    const local = this.#local as MemoryLedger;
    // A lockout made while this instance counted alone holds for its whole length.
    const lockedForMs = local.lockedForNow(client);
    if (lockedForMs > 0) return { ledger: local, reservation: { outcome: 'locked', lockedForMs } };
    const remote = this.#remote;
    if (!remote) return { ledger: local, reservation: await local.reserve(client, id) };
    return this.#run(
      async () => ({ ledger: remote, reservation: await remote.reserve(client, id) }),
      async () => ({ ledger: local, reservation: await local.reserve(client, id) }),
      // A point Redis granted too late for this look-up, which went on counted here, goes back.
      ({ reservation }) => {
        if (reservation.outcome === 'granted') remote.release(client, id).catch(() => {});
      },
    );
  }

  #admission(client: string, id: string, ledger: AttemptLedger, waited: boolean): Admission {
    const wake = () => this.#signal(client);
    return {
      admitted: true,
      waited,
      release: () => {
        // Fire and forget: a good credential does not wait for the ledger. Should the release
        // be lost, the reservation lapses by itself (in Redis) — its point is only held longer.
        const released =
          ledger === this.#local
            ? ledger.release(client, id)
            : this.#run(
                () => ledger.release(client, id),
                () => {},
              );
        void released.then(wake, wake);
      },
      fail: async () => {
        // A failure not recorded where the point was taken is recorded here: it must count somewhere.
        const local = this.#local as MemoryLedger;
        const lockedForMs =
          ledger === local
            ? await local.fail(client, id)
            : await this.#run(
                () => ledger.fail(client, id),
                () => local.fail(client, id),
              );
        if (lockedForMs > 0) wake();
      },
    };
  }

  #refusal(lockedForMs: number): Refusal {
    return lockedForMs > 0
      ? { admitted: false, lockedOut: this.#lockout(lockedForMs) }
      : { admitted: false, lockedOut: null };
  }

  #lockout(lockedForMs: number): Allowance {
    return {
      allowed: false,
      limit: this.#settings.failedAuthPerMinute,
      remaining: 0,
      resetSeconds: seconds(lockedForMs),
    };
  }

  #run<T>(remote: () => Promise<T>, local: () => T | Promise<T>, late?: (value: T) => void): Promise<T> {
    return this.#shared ? this.#shared.run(remote, local, late) : Promise.resolve(local());
  }
}

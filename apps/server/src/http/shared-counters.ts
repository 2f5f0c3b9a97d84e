import type { Redis } from 'ioredis';

export interface SharedCountersOptions {
  /** How long one Redis command may take before this instance counts alone. */
  readonly timeoutMs: number;
  /** How often an unanswering Redis is asked again whether it is back. */
  readonly probeIntervalMs?: number;
  /** Told when the counts stop or start being shared (with the error that stopped them). */
  readonly onChange?: (shared: boolean, error?: unknown) => void;
}

class Timeout extends Error {
  override readonly name = 'Timeout';
}

/**
 * Redis for the counters every instance shares, for as long as it answers in time. A
 * command that fails or takes longer than `timeoutMs` is answered from this instance's
 * own count instead, and Redis is then left alone, probed every `probeIntervalMs`, until
 * it answers again: a slow or lost Redis makes the limits local, never slow or refused.
 */
export class SharedCounters {
  readonly redis: Redis;
  readonly #timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #onChange: ((shared: boolean, error?: unknown) => void) | undefined;
  #shared = true;
  #probe: NodeJS.Timeout | undefined;

  constructor(redis: Redis, options: SharedCountersOptions) {
    this.redis = redis;
    this.#timeoutMs = options.timeoutMs;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.#onChange = options.onChange;
  }

  /** Whether the counts are shared through Redis now (false: this instance counts alone). */
  get shared(): boolean {
    return this.#shared;
  }

  /**
   * `remote` while Redis answers in time; `local` when it does not, or has not since it last
   * failed. `late` is given what a command that missed its deadline answered after all.
   */
  async run<T>(remote: () => Promise<T>, local: () => T | Promise<T>, late?: (value: T) => void): Promise<T> {
    if (!this.#shared) return local();
    const work = remote();
    try {
      return await this.#inTime(work);
    } catch (error) {
      if (late) work.then(late, () => {});
      this.#lost(error);
      return local();
    }
  }

  /** Asks Redis whether it answers (in time); false at once while the counts are this instance's. */
  answers(): Promise<boolean> {
    return this.run(
      () => this.redis.ping().then(() => true),
      () => false,
    );
  }

  close(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  #inTime<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      // Timers run before the loop reads its sockets: on a busy loop an answer may be waiting
      // unread when the timer fires. It is read first, and only then is the command late.
      const expire = () => reject(new Timeout(`Redis did not answer within ${this.#timeoutMs} ms`));
      timer = setTimeout(() => setImmediate(expire), this.#timeoutMs);
    });
    // A command that answers after its deadline must not surface as an unhandled rejection.
    work.catch(() => {});
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  #tell(shared: boolean, error?: unknown): void {
    try {
      this.#onChange?.(shared, error);
    } catch {
      // Telling of the change must not keep it from happening.
    }
  }

  #lost(error: unknown): void {
    if (!this.#shared) return;
    this.#shared = false;
    this.#tell(false, error);
    let probing = false;
    this.#probe = setInterval(() => {
      if (probing) return;
      probing = true;
      this.#inTime(this.redis.ping())
        .then(() => {
          clearInterval(this.#probe);
          this.#probe = undefined;
          this.#shared = true;
          this.#tell(true);
        })
        .catch(() => {})
        .finally(() => {
          probing = false;
        });
    }, this.#probeIntervalMs);
    this.#probe.unref();
  }
}

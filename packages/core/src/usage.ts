import type { ApiKey } from './model.js';
import type { KeyUsageStore } from './ports.js';

/** How many keys' latest uses are remembered for reads; past it, the oldest remembered is forgotten. */
const REMEMBERED_KEYS = 100_000;

/**
 * The state verification changes: when each key was last used. It is kept here, apart from
 * the keys (which the key cache holds unchanged however often they are used), and written to
 * its port in one batch every interval. Reads of a key overlay the latest use this instance
 * has seen, written or not.
 */
export class KeyUsage {
  readonly #store: KeyUsageStore;
  /** Uses not yet written. */
  readonly #pending = new Map<string, Date>();
  /** The latest use seen of each key, for reads. */
  readonly #latest = new Map<string, Date>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: KeyUsageStore, intervalMs: number) {
    this.#store = store;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  record(keyId: string, usedAt: Date): void {
    const known = this.#latest.get(keyId);
    if (known && known >= usedAt) return;
    this.#pending.set(keyId, usedAt);
    // Re-inserted, so that the keys forgotten first are those used least lately.
    this.#latest.delete(keyId);
    if (this.#latest.size >= REMEMBERED_KEYS) this.#latest.delete(this.#latest.keys().next().value as string);
    this.#latest.set(keyId, usedAt);
  }

  overlay(key: ApiKey): ApiKey {
    const latest = this.#latest.get(key.id);
    return latest && (!key.lastUsedAt || key.lastUsedAt < latest) ? { ...key, lastUsedAt: latest } : key;
  }

  /** Writes what is pending; a failed write is kept for the next attempt. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#pending.size === 0) return;
      const batch = [...this.#pending].map(([id, usedAt]) => ({ id, usedAt }));
      try {
        await this.#store.recordKeyUsage(batch);
        for (const { id, usedAt } of batch) {
          if (this.#pending.get(id) === usedAt) this.#pending.delete(id);
        }
      } catch {
        // The store is unreachable: keep the times and try again at the next interval.
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}

import type { ApiKey } from './model.js';
import type { KeyUsageStore } from './ports.js';

/**
 * The state verification changes: when each key was last used. It is kept here, apart from
 * the keys (which the key cache holds unchanged however often they are used), and written to
 * its port in one batch every interval. Reads of a key overlay the latest use this instance
 * knows of: pending here, or written since memory read the key (`writtenUse`).
 */
export class KeyUsage {
  readonly #store: KeyUsageStore;
  readonly #writtenUse: (keyId: string) => Date | undefined;
  /** Uses not yet written. */
  readonly #pending = new Map<string, Date>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    store: KeyUsageStore,
    intervalMs: number,
    writtenUse: (keyId: string) => Date | undefined = () => undefined,
  ) {
    this.#store = store;
    this.#writtenUse = writtenUse;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  record(keyId: string, usedAt: Date): void {
    const known = this.#pending.get(keyId);
    if (!known || known < usedAt) this.#pending.set(keyId, usedAt);
  }

  overlay(key: ApiKey): ApiKey {
    const known = [key.lastUsedAt, this.#pending.get(key.id), this.#writtenUse(key.id)];
    const latest = Math.max(...known.map((use) => use?.getTime() ?? Number.NEGATIVE_INFINITY));
    return latest > (key.lastUsedAt?.getTime() ?? Number.NEGATIVE_INFINITY)
      ? { ...key, lastUsedAt: new Date(latest) }
      : key;
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

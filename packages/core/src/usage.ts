import type { ApiKey } from './model.js';
import type { KeyplaneStore } from './ports.js';

/**
 * Keeps `lastUsedAt` current without a store write per request: uses are remembered in
 * memory and written in one batch every interval. Reads of a key overlay the pending
 * time, so this instance always answers with the latest use it has seen.
 */
export class KeyUsage {
  readonly #store: KeyplaneStore;
  readonly #pending = new Map<string, Date>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: KeyplaneStore, intervalMs: number) {
    this.#store = store;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  record(keyId: string, usedAt: Date): void {
    const known = this.#pending.get(keyId);
    if (!known || known < usedAt) this.#pending.set(keyId, usedAt);
  }

  overlay(key: ApiKey): ApiKey {
    const pending = this.#pending.get(key.id);
    return pending && (!key.lastUsedAt || key.lastUsedAt < pending) ? { ...key, lastUsedAt: pending } : key;
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

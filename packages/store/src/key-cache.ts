import { type ApiKey, isErr, type KeyBySecret, type KeyplaneStore } from '@keyplane/core';
import type { CacheCoherence } from './invalidation.js';

/** Told of the cache's work, for metrics. */
export interface KeyCacheHooks {
  /** A look-up answered from memory. */
  readonly onHit?: () => void;
  /** A look-up passed on to the store. */
  readonly onMiss?: () => void;
  /** How long a change took to be dropped by every instance's cache, in seconds. */
  readonly onFanOut?: (seconds: number) => void;
}

export interface KeyCacheOptions {
  readonly maxEntries?: number;
  readonly hooks?: KeyCacheHooks;
  /**
   * How the cache stays exact when other processes write to the same store. Without it,
   * every write must pass through this process: the embedded store, whose folder one
   * process holds.
   */
  readonly coherence?: CacheCoherence;
}

/**
 * Keeps the keys read on the hot path (by secret digest, by id) in memory. Every write
 * drops what it changes before it returns — and, with `coherence`, before every other
 * instance has dropped it too — so a revoked key is never served from the cache. An
 * entry carries its own deadlines (expiry, the end of a rotation's grace), which the
 * domain checks on every use.
 */
export function withKeyCache(store: KeyplaneStore, options: KeyCacheOptions = {}): KeyplaneStore {
  const { maxEntries = 10_000, coherence, hooks = {} } = options;
  const bySecret = new Map<string, KeyBySecret>();
  const byId = new Map<string, ApiKey>();
  /** Digests looked up for each key id, to drop them when the key changes. */
  const digestsOf = new Map<string, Set<string>>();
  /** Counts changes, so that a read overtaken by a change does not cache what it read before it. */
  let changes = 0;

  const remember = <K, V>(map: Map<K, V>, key: K, value: V) => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as K);
    map.set(key, value);
  };
  const forget = (keyId: string) => {
    changes += 1;
    if (keyId === '*') {
      byId.clear();
      bySecret.clear();
      digestsOf.clear();
      return;
    }
    byId.delete(keyId);
    for (const digest of digestsOf.get(keyId) ?? []) bySecret.delete(digest);
    digestsOf.delete(keyId);
  };
  coherence?.onInvalidate(forget);
  /** Whether the cache may be read and filled now; when it may not, it is emptied. */
  const usable = () => {
    if (!coherence || coherence.trusted()) return true;
    if (byId.size > 0 || bySecret.size > 0) forget('*');
    return false;
  };
  const afterWrite =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>, keyIdOf: (...args: A) => string) =>
    async (...args: A): Promise<R> => {
      const keyId = keyIdOf(...args);
      // A write that failed may have happened; one that answered "no such key" or a refusal did not.
      let unchanged = false;
      try {
        const result = await write(...args);
        unchanged = result === null || result === false || isErr(result);
        return result;
      } finally {
        forget(keyId);
        if (coherence && !unchanged) {
          const started = performance.now();
          await coherence.published(keyId);
          hooks.onFanOut?.((performance.now() - started) / 1000);
        }
      }
    };

  return {
    ...store,
    // Only keys found are kept: a digest that names no key now may name one after a write.
    async findKeyBySecretHash(secretHash) {
      if (!usable()) return store.findKeyBySecretHash(secretHash);
      const cached = bySecret.get(secretHash);
      if (cached) {
        hooks.onHit?.();
        return cached;
      }
      hooks.onMiss?.();
      const seen = changes;
      const found = await store.findKeyBySecretHash(secretHash);
      if (found && changes === seen && usable()) {
        remember(bySecret, secretHash, found);
        const digests = digestsOf.get(found.key.id) ?? new Set<string>();
        digests.add(secretHash);
        digestsOf.set(found.key.id, digests);
      }
      return found;
    },
    // Memory alone, never the store: what a credential that needs no look-up is proven by.
    peekKeyBySecretHash(secretHash) {
      if (!usable()) return undefined;
      const cached = bySecret.get(secretHash);
      if (cached) hooks.onHit?.();
      return cached;
    },
    peekKeyById(organizationId, id) {
      if (!usable()) return undefined;
      const cached = byId.get(id);
      if (!cached) return undefined;
      hooks.onHit?.();
      return cached.organizationId === organizationId ? cached : null;
    },
    async findKeyById(organizationId, id) {
      if (!usable()) return store.findKeyById(organizationId, id);
      const cached = byId.get(id);
      if (cached) {
        hooks.onHit?.();
        return cached.organizationId === organizationId ? cached : null;
      }
      hooks.onMiss?.();
      const seen = changes;
      const key = await store.findKeyById(organizationId, id);
      if (key && changes === seen && usable()) remember(byId, id, key);
      return key;
    },
    // A new key is in no cache: nothing to tell the other instances.
    async insertKey(key, audit, quota) {
      try {
        return await store.insertKey(key, audit, quota);
      } finally {
        forget(key.id);
      }
    },
    updateKey: afterWrite(
      (...args: Parameters<KeyplaneStore['updateKey']>) => store.updateKey(...args),
      (_org, id) => id,
    ),
    rotateKey: afterWrite(
      (...args: Parameters<KeyplaneStore['rotateKey']>) => store.rotateKey(...args),
      (_org, id) => id,
    ),
    deleteKey: afterWrite(
      (...args: Parameters<KeyplaneStore['deleteKey']>) => store.deleteKey(...args),
      (_org, id) => id,
    ),
    async recordKeyUsage(usage) {
      await store.recordKeyUsage(usage);
      for (const { id } of usage) forget(id);
    },
    insertOrganization: async (organization, application, adminKey, audit) => {
      await store.insertOrganization(organization, application, adminKey, audit);
      forget(adminKey.id);
    },
    async close() {
      await coherence?.close();
      await store.close();
    },
  };
}

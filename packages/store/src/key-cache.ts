import type { ApiKey, KeyBySecret, KeyplaneStore } from '@keyplane/core';

/**
 * Keeps the keys read on the hot path (by secret digest, by id) in memory. Only for a
 * store no other process writes to — the embedded one, whose folder one process holds —
 * since every write then passes through here and drops what it changes before it
 * returns: a revoked key is never served from the cache.
 */
/** Told of every look-up the cache answers (a hit) or passes on to the store (a miss), for metrics. */
export interface KeyCacheHooks {
  readonly onHit?: () => void;
  readonly onMiss?: () => void;
}

export function withKeyCache(store: KeyplaneStore, maxEntries = 10_000, hooks: KeyCacheHooks = {}): KeyplaneStore {
  const bySecret = new Map<string, KeyBySecret>();
  const byId = new Map<string, ApiKey>();
  /** Digests looked up for each key id, to drop them when the key changes. */
  const digestsOf = new Map<string, Set<string>>();
  /** Counts writes, so that a read overtaken by a write does not cache what it read before it. */
  let writes = 0;

  const remember = <K, V>(map: Map<K, V>, key: K, value: V) => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as K);
    map.set(key, value);
  };
  const forget = (keyId: string) => {
    writes += 1;
    byId.delete(keyId);
    for (const digest of digestsOf.get(keyId) ?? []) bySecret.delete(digest);
    digestsOf.delete(keyId);
  };
  const afterWrite =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>, keyIdOf: (...args: A) => string) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        forget(keyIdOf(...args));
      }
    };

  return {
    ...store,
    // Only keys found are kept: a digest that names no key now may name one after a write.
    async findKeyBySecretHash(secretHash) {
      const cached = bySecret.get(secretHash);
      if (cached) {
        hooks.onHit?.();
        return cached;
      }
      hooks.onMiss?.();
      const seen = writes;
      const found = await store.findKeyBySecretHash(secretHash);
      if (found && writes === seen) {
        remember(bySecret, secretHash, found);
        const digests = digestsOf.get(found.key.id) ?? new Set<string>();
        digests.add(secretHash);
        digestsOf.set(found.key.id, digests);
      }
      return found;
    },
    async findKeyById(organizationId, id) {
      const cached = byId.get(id);
      if (cached) {
        hooks.onHit?.();
        return cached.organizationId === organizationId ? cached : null;
      }
      hooks.onMiss?.();
      const seen = writes;
      const key = await store.findKeyById(organizationId, id);
      if (key && writes === seen) remember(byId, id, key);
      return key;
    },
    insertKey: afterWrite(
      (...args: Parameters<KeyplaneStore['insertKey']>) => store.insertKey(...args),
      (key) => key.id,
    ),
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
  };
}

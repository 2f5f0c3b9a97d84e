import { type ApiKey, isErr, type KeyBySecret, type KeyplaneStore, verifiable } from '@keyplane/core';
import type { CacheCoherence } from './invalidation.js';

/** Told of the cache's work, for metrics. */
export interface KeyCacheHooks {
  /** A look-up answered from memory. */
  readonly onHit?: () => void;
  /** A look-up of a digest known to name no key, answered from memory. */
  readonly onAbsent?: () => void;
  /** A look-up passed on to the store. */
  readonly onMiss?: () => void;
  /** A look-up answered by the store's answer to the same look-up, already asked. */
  readonly onJoined?: () => void;
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
  /** How long a digest that named no key is answered as naming none without asking the store (5 s when absent). */
  readonly absentForMs?: number;
  /** The clock of those deadlines, in milliseconds. */
  readonly now?: () => number;
}

/** Every method of the store, the optional ones too: the cache must say what each does to what it holds. */
type EveryMethod = Required<KeyplaneStore>;

/*
 * What a change names, to this cache and to every other instance's (`CacheCoherence`): a key
 * by its id; `role:<id>` or `identity:<id>`, every key carrying it; `absent`, every digest
 * known to name no key; `absent-digest:<digest>`, that one; `*`, everything.
 */
const ROLE = 'role:';
const IDENTITY = 'identity:';
const ABSENT = 'absent';
const ABSENT_DIGEST = 'absent-digest:';

const dependenciesOf = (key: ApiKey): string[] => [
  ...key.roles.map((role) => `${ROLE}${role.id}`),
  ...(key.identity ? [`${IDENTITY}${key.identity.id}`] : []),
];

/**
 * Keeps the keys read on the hot path (by secret digest, by id) in memory, and for a few
 * seconds the digests that named no key. Every write drops what it changes before it
 * returns — and, with `coherence`, before every other instance has dropped it too — so a
 * revoked key is never served from the cache. An entry carries its own deadlines (expiry,
 * the end of a rotation's grace), which the domain checks on every use.
 *
 * Each store method is listed below by what it does to the cache — reads it, changes what
 * it holds, or touches nothing it holds — so that a method added to the store does not
 * compile until it says which.
 */
export function withKeyCache(store: KeyplaneStore, options: KeyCacheOptions = {}): KeyplaneStore {
  const { maxEntries = 10_000, coherence, hooks = {}, absentForMs = 5_000, now = Date.now } = options;
  const bySecret = new Map<string, KeyBySecret>();
  const byId = new Map<string, ApiKey>();
  /** Digests that named no key, until when they are answered so without the store. */
  const absent = new Map<string, number>();
  /** Of each key held: the digests it was found by and what it depends on, to drop them all when it changes. */
  const held = new Map<string, { readonly digests: Set<string>; readonly targets: readonly string[] }>();
  /** The latest use written through this process of each key held, since the key was read. */
  const writtenUses = new Map<string, Date>();
  /** The keys held that carry each role and identity (`role:<id>`, `identity:<id>`), to drop them when it changes. */
  const dependents = new Map<string, Set<string>>();
  /** Whether the store holds imported keys, once asked; forgotten whenever keys may have been imported. */
  let imported: boolean | undefined;
  /** The question to the store of whether it holds imported keys, while one is asked. */
  let asking: Promise<boolean> | undefined;
  /** Counts changes, so that a read overtaken by a change does not cache what it read before it. */
  let changes = 0;
  /** The digests the store is being asked for now, each with the count of changes its question began at. */
  const asked = new Map<string, { readonly seen: number; readonly answer: Promise<KeyBySecret | null> }>();

  const remember = <K, V>(map: Map<K, V>, key: K, value: V) => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as K);
    map.set(key, value);
  };
  /**
   * Keeps a key, by id or by a digest, indexed by what it depends on, compiled for verification
   * once, as it enters. Making room drops every entry of the key held longest, and its indexes.
   */
  const rememberKey = (key: ApiKey, bySecretHash?: { readonly digest: string; readonly found: KeyBySecret }) => {
    verifiable(key);
    const digest = bySecretHash?.digest;
    const map: Map<string, unknown> = digest === undefined ? byId : bySecret;
    if (map.size >= maxEntries && !map.has(digest ?? key.id)) {
      const [oldest, value] = map.entries().next().value as [string, ApiKey | KeyBySecret];
      forgetKey(digest === undefined ? oldest : (value as KeyBySecret).key.id);
    }
    if (bySecretHash) bySecret.set(bySecretHash.digest, bySecretHash.found);
    else byId.set(key.id, key);
    const entry = held.get(key.id) ?? { digests: new Set<string>(), targets: dependenciesOf(key) };
    if (digest !== undefined) entry.digests.add(digest);
    held.set(key.id, entry);
    for (const target of entry.targets) {
      const keys = dependents.get(target) ?? new Set<string>();
      keys.add(key.id);
      dependents.set(target, keys);
    }
  };
  const forgetKey = (keyId: string) => {
    writtenUses.delete(keyId);
    byId.delete(keyId);
    const entry = held.get(keyId);
    if (!entry) return;
    held.delete(keyId);
    for (const digest of entry.digests) bySecret.delete(digest);
    for (const target of entry.targets) {
      const keys = dependents.get(target);
      keys?.delete(keyId);
      if (keys?.size === 0) dependents.delete(target);
    }
  };
  /** Drops what a change names (see `CacheTarget`). */
  const forget = (target: string) => {
    changes += 1;
    if (target === '*') {
      byId.clear();
      bySecret.clear();
      held.clear();
      writtenUses.clear();
      dependents.clear();
      absent.clear();
      imported = undefined;
      asking = undefined;
      return;
    }
    if (target === ABSENT) {
      absent.clear();
      imported = undefined;
      asking = undefined;
      return;
    }
    if (target.startsWith(ABSENT_DIGEST)) {
      absent.delete(target.slice(ABSENT_DIGEST.length));
      return;
    }
    if (target.startsWith(ROLE) || target.startsWith(IDENTITY)) {
      for (const keyId of dependents.get(target) ?? []) forgetKey(keyId);
      dependents.delete(target);
      return;
    }
    forgetKey(target);
  };
  /** A digest may name a key from now on: none is answered as absent any more. */
  const forgetAbsent = () => forget(ABSENT);
  coherence?.onInvalidate(forget);
  /** Tells every other instance, and waits until each has dropped it (or its lease ran out). */
  const publish = async (target: string) => {
    if (!coherence) return;
    const started = performance.now();
    await coherence.published(target);
    hooks.onFanOut?.((performance.now() - started) / 1000);
  };
  /** Whether the cache may be read and filled now; when it may not, it is emptied. */
  const usable = () => {
    if (!coherence || coherence.trusted()) return true;
    if (byId.size > 0 || bySecret.size > 0 || absent.size > 0) forget('*');
    return false;
  };
  const isAbsent = (secretHash: string) => {
    const until = absent.get(secretHash);
    if (until === undefined) return false;
    if (until > now()) return true;
    absent.delete(secretHash);
    return false;
  };

  /** Reads and writes of things the cache does not hold (lists, applications, audit, settings). */
  const touchesNothingCached = <M extends keyof EveryMethod>(name: M): EveryMethod[M] =>
    ((...args: unknown[]) => (store[name] as (...args: unknown[]) => unknown)(...args)) as EveryMethod[M];

  /**
   * A write that changes or removes what `targetOf` names (a key, or a role or identity and
   * every key carrying it): dropped here, then by every other instance, before it is answered.
   */
  const changesCached =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>, targetOf: (...args: A) => string) =>
    async (...args: A): Promise<R> => {
      const target = targetOf(...args);
      // A write that failed may have happened; one that answered "no such thing" or a refusal did not.
      let unchanged = false;
      try {
        const result = await write(...args);
        unchanged = result === null || result === false || isErr(result) || typeof result === 'string';
        return result;
      } finally {
        forget(target);
        if (!unchanged) await publish(target);
      }
    };

  /**
   * A write that adds a key: it is in no cache, so nothing is told to the other instances; its
   * secret is new (generated by keyplane, never shown before), so no instance can have it as absent.
   */
  const addsKey =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>, keyIdOf: (...args: A) => string) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        forget(keyIdOf(...args));
        forgetAbsent();
      }
    };

  const methods: EveryMethod = {
    async findKeyBySecretHash(secretHash) {
      if (!usable()) return store.findKeyBySecretHash(secretHash);
      const cached = bySecret.get(secretHash);
      if (cached) {
        hooks.onHit?.();
        return cached;
      }
      if (isAbsent(secretHash)) {
        hooks.onAbsent?.();
        return null;
      }
      // A burst of one digest asks the store once: a look-up joins the question already asked,
      // unless something changed since it was asked (its answer may be older than the change).
      const pending = asked.get(secretHash);
      if (pending && pending.seen === changes) {
        hooks.onJoined?.();
        // Should the question fail, each look-up that joined it asks again on its own (nothing kept).
        return pending.answer.catch(() => store.findKeyBySecretHash(secretHash));
      }
      hooks.onMiss?.();
      const seen = changes;
      const answer = store.findKeyBySecretHash(secretHash);
      asked.set(secretHash, { seen, answer });
      let found: KeyBySecret | null;
      try {
        found = await answer;
      } finally {
        if (asked.get(secretHash)?.answer === answer) asked.delete(secretHash);
      }
      if (changes !== seen || !usable()) return found;
      if (!found) {
        remember(absent, secretHash, now() + absentForMs);
        return null;
      }
      rememberKey(found.key, { digest: secretHash, found });
      return found;
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
      if (key && changes === seen && usable()) rememberKey(key);
      return key;
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
    insertKey: addsKey(
      (...args: Parameters<KeyplaneStore['insertKey']>) => store.insertKey(...args),
      (key) => key.id,
    ),
    insertOrganization: addsKey(
      (...args: Parameters<KeyplaneStore['insertOrganization']>) => store.insertOrganization(...args),
      (_organization, _application, adminKey) => adminKey.id,
    ),
    updateKey: changesCached(
      (...args: Parameters<KeyplaneStore['updateKey']>) => store.updateKey(...args),
      (_organizationId, id) => id,
    ),
    rotateKey: changesCached(
      async (...args: Parameters<KeyplaneStore['rotateKey']>) => {
        try {
          return await store.rotateKey(...args);
        } finally {
          // The key's new secret is new too.
          forgetAbsent();
        }
      },
      (_organizationId, id) => id,
    ),
    deleteKey: changesCached(
      (...args: Parameters<KeyplaneStore['deleteKey']>) => store.deleteKey(...args),
      (_organizationId, id) => id,
    ),
    // When a key was last used is kept apart from the key: writing it changes nothing held, and
    // the time written is kept beside the keys held, for core's `KeyUsage` to overlay on reads.
    async recordKeyUsage(usage) {
      await store.recordKeyUsage(usage);
      for (const { id, usedAt } of usage) {
        if (!held.has(id) && !byId.has(id)) continue;
        const known = writtenUses.get(id);
        if (!known || known < usedAt) writtenUses.set(id, usedAt);
      }
    },
    peekWrittenUse: (keyId) => writtenUses.get(keyId),
    // Credits are spent in the store and read from it: the cache holds what they are, never how many remain.
    spendCredits: touchesNothingCached('spendCredits'),
    findKeyCredits: touchesNothingCached('findKeyCredits'),
    takeRateLimits: touchesNothingCached('takeRateLimits'),
    // Imported secrets may have been tried before: every instance forgets the digests it knew as naming no key.
    async importKeys(...args) {
      try {
        return await store.importKeys(...args);
      } finally {
        forgetAbsent();
        await publish(ABSENT);
      }
    },
    // Asked by every look-up that misses: one question to the store at a time, its answer kept.
    holdsImportedKeys() {
      if (!usable()) return store.holdsImportedKeys();
      if (imported !== undefined) return Promise.resolve(imported);
      if (!asking) {
        const seen = changes;
        const question = store.holdsImportedKeys().then((holds) => {
          if (changes === seen && usable()) imported = holds;
          return holds;
        });
        asking = question;
        void question
          .finally(() => {
            if (asking === question) asking = undefined;
          })
          .catch(() => {});
      }
      return asking;
    },
    // The key is unchanged but for the digest its secret is found by: the digest it had found it
    // still, wherever it is held; the new one may be held as naming no key, everywhere.
    rehashKey: changesCached(
      async (...args: Parameters<KeyplaneStore['rehashKey']>) => {
        try {
          await store.rehashKey(...args);
        } finally {
          forget(args[0]);
        }
      },
      (_id, rehash) => `${ABSENT_DIGEST}${rehash.secretHash}`,
    ),
    updateRole: changesCached(
      (...args: Parameters<KeyplaneStore['updateRole']>) => store.updateRole(...args),
      (_organizationId, id) => `${ROLE}${id}`,
    ),
    deleteRole: changesCached(
      (...args: Parameters<KeyplaneStore['deleteRole']>) => store.deleteRole(...args),
      (_organizationId, id) => `${ROLE}${id}`,
    ),
    updateIdentity: changesCached(
      (...args: Parameters<KeyplaneStore['updateIdentity']>) => store.updateIdentity(...args),
      (_organizationId, id) => `${IDENTITY}${id}`,
    ),
    deleteIdentity: changesCached(
      (...args: Parameters<KeyplaneStore['deleteIdentity']>) => store.deleteIdentity(...args),
      (_organizationId, id) => `${IDENTITY}${id}`,
    ),
    insertRole: touchesNothingCached('insertRole'),
    findRole: touchesNothingCached('findRole'),
    findRolesByName: touchesNothingCached('findRolesByName'),
    listRoles: touchesNothingCached('listRoles'),
    insertIdentity: touchesNothingCached('insertIdentity'),
    findIdentity: touchesNothingCached('findIdentity'),
    listIdentities: touchesNothingCached('listIdentities'),
    listKeys: touchesNothingCached('listKeys'),
    countKeys: touchesNothingCached('countKeys'),
    insertApplication: touchesNothingCached('insertApplication'),
    findApplication: touchesNothingCached('findApplication'),
    findDefaultApplication: touchesNothingCached('findDefaultApplication'),
    listApplications: touchesNothingCached('listApplications'),
    ensureDefaultOrganization: touchesNothingCached('ensureDefaultOrganization'),
    listAuditEvents: touchesNothingCached('listAuditEvents'),
    putSettingIfAbsent: touchesNothingCached('putSettingIfAbsent'),
    ping: touchesNothingCached('ping'),
    async close() {
      await coherence?.close();
      await store.close();
    },
  };
  return methods;
}

import type { KeyplaneStore } from '@keyplane/core';
import { withApplicationCache } from './application-cache.js';
import { InvalidationBus } from './invalidation.js';
import { type KeyCacheHooks, withKeyCache } from './key-cache.js';
import { createKeyplaneStore } from './keyplane-store.js';
import { migrate } from './migrations.js';
import { openPglite, openPgliteImage, pgliteImage } from './pglite.js';
import { openPostgres, type PostgresOptions, StoreUnavailableError } from './postgres.js';
import { makeFolderPrivate } from './private-folder.js';

export { type CacheCoherence, InvalidationBus } from './invalidation.js';
export { type KeyCacheHooks, withKeyCache } from './key-cache.js';
export { createKeyplaneStore } from './keyplane-store.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { openPglite } from './pglite.js';
export { openPostgres, type PostgresOptions, StoreUnavailableError } from './postgres.js';
export type { SqlDatabase, SqlExecutor } from './sql.js';

export interface EmbeddedStoreOptions {
  /** Folder of the embedded database; omitted, the store lives in memory only. */
  readonly dataDir?: string;
  /** Told when `dataDir` was open to other users and has been made private. */
  readonly onFolderTightened?: (dataDir: string, paths: readonly string[]) => void;
  /** Told of the key cache's hits and misses. */
  readonly cacheHooks?: KeyCacheHooks;
}

/**
 * Opens the embedded store and brings its schema up to date. One process holds its
 * folder, so every write passes through this process and keys can be cached exactly.
 * The folder and its files are made private to this process's user (0700 and 0600).
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<KeyplaneStore> {
  if (options.dataDir) {
    let tightened: string[];
    try {
      tightened = await makeFolderPrivate(options.dataDir);
    } catch (error) {
      throw new StoreUnavailableError(`cannot make the data folder ${options.dataDir} private: ${String(error)}`);
    }
    if (tightened.length > 0) options.onFolderTightened?.(options.dataDir, tightened);
  }
  const db = await openPglite(options.dataDir);
  await migrate(db);
  return withKeyCache(
    withApplicationCache(createKeyplaneStore(db)),
    options.cacheHooks ? { hooks: options.cacheHooks } : {},
  );
}

export interface PostgresStoreOptions extends PostgresOptions {
  /**
   * The key cache of this instance, kept exact across instances (see `InvalidationBus`):
   * `leaseMs` bounds how long a writer waits for an instance that stopped answering.
   * `false`: no cache, every key is read from the database.
   */
  readonly keyCache?: { readonly leaseMs: number } | false;
  /** Told when the invalidation channel fails (it reconnects by itself). */
  readonly onCacheError?: (error: unknown) => void;
  /** Told of the key cache's hits and misses, and of how long changes take to reach every instance. */
  readonly cacheHooks?: KeyCacheHooks;
}

export const DEFAULT_CACHE_LEASE_MS = 5_000;

/** Opens a store on a PostgreSQL server and brings its schema up to date. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<KeyplaneStore> {
  const db = await openPostgres(options);
  try {
    await migrate(db);
    const store = withApplicationCache(createKeyplaneStore(db));
    const { keyCache = { leaseMs: DEFAULT_CACHE_LEASE_MS } } = options;
    if (!keyCache) return store;
    const coherence = await InvalidationBus.start({
      connectionString: options.connectionString,
      ...(options.schema ? { schema: options.schema } : {}),
      leaseMs: keyCache.leaseMs,
      pool: db,
      ...(options.onCacheError ? { onError: options.onCacheError } : {}),
    });
    return withKeyCache(store, { coherence, ...(options.cacheHooks ? { hooks: options.cacheHooks } : {}) });
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * An empty, migrated embedded database kept as the image of its data folder, from which
 * `openEmbeddedStoreFrom` opens stores without creating and migrating a database each time.
 */
export interface EmbeddedStoreTemplate {
  readonly image: Blob;
}

/** Creates and migrates one in-memory database and keeps its image. */
export async function createEmbeddedStoreTemplate(): Promise<EmbeddedStoreTemplate> {
  return { image: await pgliteImage(migrate) };
}

/**
 * Opens an embedded store in memory, as `openEmbeddedStore()` does, on a copy of the
 * template's database: each store has its own, and what one writes no other sees.
 */
export async function openEmbeddedStoreFrom(template: EmbeddedStoreTemplate): Promise<KeyplaneStore> {
  return withKeyCache(withApplicationCache(createKeyplaneStore(await openPgliteImage(template.image))));
}

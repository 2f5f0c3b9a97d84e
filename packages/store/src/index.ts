import type { KeyplaneStore } from '@keyplane/core';
import { type KeyCacheHooks, withKeyCache } from './key-cache.js';
import { createKeyplaneStore } from './keyplane-store.js';
import { migrate } from './migrations.js';
import { openPglite } from './pglite.js';
import { openPostgres, type PostgresOptions, StoreUnavailableError } from './postgres.js';
import { makeFolderPrivate } from './private-folder.js';

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
  readonly keyCache?: KeyCacheHooks;
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
  return withKeyCache(createKeyplaneStore(db), undefined, options.keyCache);
}

/** Opens a store on a PostgreSQL server and brings its schema up to date. */
export async function openPostgresStore(options: PostgresOptions): Promise<KeyplaneStore> {
  const db = await openPostgres(options);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return createKeyplaneStore(db);
}

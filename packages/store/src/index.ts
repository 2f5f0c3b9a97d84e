import type { KeyplaneStore } from '@keyplane/core';
import { createKeyplaneStore } from './keyplane-store.js';
import { migrate } from './migrations.js';
import { openPglite } from './pglite.js';

export { createKeyplaneStore } from './keyplane-store.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { openPglite } from './pglite.js';
export type { SqlDatabase, SqlExecutor } from './sql.js';

export interface EmbeddedStoreOptions {
  /** Folder of the embedded database; omitted, the store lives in memory only. */
  readonly dataDir?: string;
}

/** Opens the embedded store and brings its schema up to date. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<KeyplaneStore> {
  const db = await openPglite(options.dataDir);
  await migrate(db);
  return createKeyplaneStore(db);
}

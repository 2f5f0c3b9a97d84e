import { randomUUID } from 'node:crypto';
import type { KeyplaneStore } from '@keyplane/core';
import {
  createEmbeddedStoreTemplate,
  type EmbeddedStoreTemplate,
  openEmbeddedStoreFrom,
  openPostgres,
  openPostgresStore,
} from '@keyplane/store';
import { requireService } from './services.js';

export type StoreKind = 'embedded' | 'postgres';

/**
 * The stores the suite runs against: always the embedded one, and PostgreSQL as well
 * when `DATABASE_URL` names a server. Under CI a missing `DATABASE_URL` fails the run.
 */
export const STORE_KINDS: readonly StoreKind[] = requireService('DATABASE_URL')
  ? ['embedded', 'postgres']
  : ['embedded'];

export const databaseUrl = (): string => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
};

/** A fresh schema of its own on the PostgreSQL server, dropped again by `drop`. */
export async function createTestSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `keyplane_test_${randomUUID().replaceAll('-', '')}`;
  const admin = await openPostgres({ connectionString: databaseUrl(), poolSize: 1 });
  await admin.exec(`create schema ${schema}`);
  await admin.close();
  return {
    schema,
    async drop() {
      const cleaner = await openPostgres({ connectionString: databaseUrl(), poolSize: 1 });
      await cleaner.exec(`drop schema if exists ${schema} cascade`);
      await cleaner.close();
    },
  };
}

/** One migrated embedded database for the process, created on first use; each store opens a copy. */
let embeddedTemplate: Promise<EmbeddedStoreTemplate> | undefined;

function theEmbeddedTemplate(): Promise<EmbeddedStoreTemplate> {
  embeddedTemplate ??= createEmbeddedStoreTemplate().catch((error: unknown) => {
    embeddedTemplate = undefined;
    throw error;
  });
  return embeddedTemplate;
}

/** An empty store of the given kind; closing it also removes what it wrote. */
export async function openTestStore(kind: StoreKind): Promise<KeyplaneStore> {
  if (kind === 'embedded') return openEmbeddedStoreFrom(await theEmbeddedTemplate());
  const { schema, drop } = await createTestSchema();
  const store = await openPostgresStore({ connectionString: databaseUrl(), schema, poolSize: 5 });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await drop();
  };
  return store;
}

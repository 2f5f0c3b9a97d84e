import { randomUUID } from 'node:crypto';
import {
  type ApiKey,
  type AuditEvent,
  type KeyBySecret,
  type KeyplaneStore,
  openMemoryStore,
  UNRESTRICTED,
} from '@keyplane/core';
import { afterEach, describe, expect, it } from 'vitest';
// By path: @keyplane/testing depends on this package, so this package cannot depend on it.
import { requireService } from '../../testing/src/services.js';
import {
  createKeyplaneStore,
  InvalidationBus,
  migrate,
  openPglite,
  openPostgres,
  openPostgresStore,
  withKeyCache,
} from '../src/index.js';

const DATABASE_URL = requireService('DATABASE_URL') ?? '';

/** A store whose look-ups by digest can be held, once read, until the test lets them answer. */
function holdingReads(store: KeyplaneStore) {
  let hold: { read: () => void; release: Promise<void> } | null = null;
  let readDone: () => void = () => {};
  const held = {
    /** The next look-up reads, then waits; resolves once it has read. */
    holdNext(): { read: Promise<void>; release: () => void } {
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const read = new Promise<void>((resolve) => {
        readDone = resolve;
      });
      hold = { read: () => readDone(), release: released };
      return { read, release };
    },
  };
  const gated: KeyplaneStore = {
    ...store,
    async findKeyBySecretHash(secretHash): Promise<KeyBySecret | null> {
      const current = hold;
      hold = null;
      const found = await store.findKeyBySecretHash(secretHash);
      if (current) {
        current.read();
        await current.release;
      }
      return found;
    },
  };
  return { gated, held };
}

const audit = (organizationId: string, targetId: string, action: AuditEvent['action']): AuditEvent => ({
  id: randomUUID(),
  organizationId,
  occurredAt: new Date(),
  action,
  actorKeyId: null,
  targetId,
  requestId: randomUUID(),
  details: {},
});

async function insertKey(store: KeyplaneStore, secretHash: string): Promise<ApiKey> {
  const organization = await store.ensureDefaultOrganization(new Date());
  const application = await store.findDefaultApplication(organization.id);
  const id = randomUUID();
  const key = await store.insertKey(
    {
      id,
      organizationId: organization.id,
      applicationId: application?.id as string,
      name: 'fenced',
      status: 'enabled',
      access: UNRESTRICTED,
      secretHash,
      hint: 'kp_abcd',
      lastFour: 'wxyz',
      createdBy: null,
      createdAt: new Date(),
      expiresAt: null,
      meta: null,
      ipAllowlist: null,
      externalId: null,
      roleIds: [],
      credits: null,
      ratelimits: [],
    },
    audit(organization.id, id, 'api_key.created'),
    1_000,
  );
  return key as ApiKey;
}

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close().catch(() => {});
});

/**
 * Holds a look-up of a new key by `reader` open once it has read, deletes the key through
 * `writer` meanwhile, then lets the look-up answer: it answers what it read, and `reader`
 * keeps it nowhere.
 */
async function deleteDuringRead(
  reader: KeyplaneStore,
  held: ReturnType<typeof holdingReads>['held'],
  writer: KeyplaneStore,
) {
  const digest = randomUUID();
  const key = await insertKey(writer, digest);
  const hold = held.holdNext();
  const reading = reader.findKeyBySecretHash(digest);
  await hold.read;
  // With several instances, the delete is answered only once the reader dropped the key: while its read is held.
  const deleted = await writer.deleteKey(
    key.organizationId,
    key.id,
    undefined,
    audit(key.organizationId, key.id, 'api_key.deleted'),
  );
  expect(deleted).toBe(true);
  hold.release();
  expect((await reading)?.key.id).toBe(key.id);
  expect(reader.peekKeyBySecretHash?.(digest)).toBeUndefined();
  expect(await reader.findKeyBySecretHash(digest)).toBeNull();
}

describe('a look-up that read a key before it was deleted, and answers after', () => {
  it('fills no cache with it on the embedded store', async () => {
    const db = await openPglite();
    await migrate(db);
    const { gated, held } = holdingReads(createKeyplaneStore(db));
    const store = withKeyCache(gated);
    closing.push(() => store.close());
    await deleteDuringRead(store, held, store);
  });

  it('fills no cache with it on the memory store', async () => {
    const { gated, held } = holdingReads(openMemoryStore());
    const store = withKeyCache(gated);
    closing.push(() => store.close());
    await deleteDuringRead(store, held, store);
  });

  it.runIf(DATABASE_URL)('fills no cache with it on PostgreSQL, when another instance deleted it', async () => {
    const schema = `keyplane_fence_${randomUUID().replaceAll('-', '')}`;
    const admin = await openPostgres({ connectionString: DATABASE_URL, poolSize: 1 });
    await admin.exec(`create schema ${schema}`);
    closing.push(async () => {
      await admin.exec(`drop schema if exists ${schema} cascade`);
      await admin.close();
    });
    const writer = await openPostgresStore({ connectionString: DATABASE_URL, schema, poolSize: 2 });
    closing.push(() => writer.close());
    // The reading instance, put together as openPostgresStore does, with its look-ups held at will.
    const db = await openPostgres({ connectionString: DATABASE_URL, schema, poolSize: 2 });
    const { gated, held } = holdingReads(createKeyplaneStore(db));
    const coherence = await InvalidationBus.start({ connectionString: DATABASE_URL, schema, leaseMs: 5_000, pool: db });
    const reader = withKeyCache(gated, { coherence });
    closing.push(() => reader.close());
    await deleteDuringRead(reader, held, writer);
  });
});

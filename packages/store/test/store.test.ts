import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grant, type KeyplaneStore, type NewKey } from '@keyplane/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyplaneStore, MIGRATIONS, migrate, openEmbeddedStore, openPglite } from '../src/index.js';

const opened: KeyplaneStore[] = [];
const folders: string[] = [];

async function open(dataDir?: string) {
  const store = await openEmbeddedStore(dataDir ? { dataDir } : {});
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close().catch(() => {})));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function newKey(store: KeyplaneStore, overrides: Partial<NewKey> = {}): Promise<NewKey> {
  const organization = await store.ensureDefaultOrganization(new Date());
  const application = await store.findDefaultApplication(organization.id);
  return {
    id: randomUUID(),
    organizationId: organization.id,
    applicationId: application?.id as string,
    name: 'test',
    status: 'enabled',
    access: { restricted: true, grants: [grant('queues', 'read', ['q1'])] },
    secretHash: randomUUID(),
    hint: 'kp_abcd',
    lastFour: 'wxyz',
    createdBy: null,
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    expiresAt: null,
    ...overrides,
  };
}

describe('the embedded store', () => {
  it('creates the default organization once, with one default application', async () => {
    const store = await open();
    const first = await store.ensureDefaultOrganization(new Date());
    const second = await store.ensureDefaultOrganization(new Date());
    expect(second.id).toBe(first.id);
    const applications = await store.listApplications(first.id);
    expect(applications).toHaveLength(1);
    expect(applications[0]?.isDefault).toBe(true);
  });

  it('round-trips a key, access and timestamps included', async () => {
    const store = await open();
    const key = await newKey(store);
    const inserted = await store.insertKey(key);
    expect(inserted).toMatchObject({ id: key.id, access: key.access, createdAt: key.createdAt, updatedAt: key.createdAt });
    expect(await store.findKeyBySecretHash(key.secretHash)).toEqual(inserted);
    expect(await store.findKeyById(key.organizationId, key.id)).toEqual(inserted);
  });

  it('scopes every lookup by organization', async () => {
    const store = await open();
    const key = await newKey(store);
    await store.insertKey(key);
    const stranger = randomUUID();
    expect(await store.findKeyById(stranger, key.id)).toBeNull();
    expect(await store.listKeys(stranger)).toEqual([]);
    expect(await store.updateKey(stranger, key.id, { name: 'stolen', updatedAt: new Date() })).toBeNull();
    expect(await store.deleteKey(stranger, key.id)).toBe(false);
    expect((await store.findKeyById(key.organizationId, key.id))?.name).toBe('test');
  });

  it('updates only the fields it is given', async () => {
    const store = await open();
    const key = await newKey(store, { expiresAt: new Date('2030-01-01T00:00:00Z') });
    await store.insertKey(key);
    const updatedAt = new Date('2026-02-01T00:00:00Z');
    const updated = await store.updateKey(key.organizationId, key.id, { status: 'disabled', updatedAt });
    expect(updated).toMatchObject({ name: 'test', status: 'disabled', access: key.access, expiresAt: key.expiresAt, updatedAt });
    const cleared = await store.updateKey(key.organizationId, key.id, { expiresAt: null, access: { restricted: false }, updatedAt });
    expect(cleared).toMatchObject({ expiresAt: null, access: { restricted: false } });
  });

  it('deletes a key exactly once under concurrent deletes', async () => {
    const store = await open();
    const key = await newKey(store);
    await store.insertKey(key);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.deleteKey(key.organizationId, key.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.findKeyBySecretHash(key.secretHash)).toBeNull();
  });

  it('deletes under an application only when the key belongs to it', async () => {
    const store = await open();
    const key = await newKey(store);
    await store.insertKey(key);
    expect(await store.deleteKey(key.organizationId, key.id, randomUUID())).toBe(false);
    expect(await store.deleteKey(key.organizationId, key.id, key.applicationId)).toBe(true);
  });

  it('refuses a second key with the same secret digest', async () => {
    const store = await open();
    const key = await newKey(store);
    await store.insertKey(key);
    await expect(store.insertKey({ ...key, id: randomUUID() })).rejects.toThrow();
  });

  it('keeps a setting first written', async () => {
    const store = await open();
    expect(await store.putSettingIfAbsent('x', 'first')).toBe('first');
    expect(await store.putSettingIfAbsent('x', 'second')).toBe('first');
    expect(await store.getSetting('x')).toBe('first');
    expect(await store.getSetting('missing')).toBeNull();
  });

  it('persists on disk across a reopen', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'keyplane-store-'));
    folders.push(folder);
    const first = await open(folder);
    const key = await newKey(first);
    await first.insertKey(key);
    await first.close();
    const second = await open(folder);
    expect((await second.findKeyBySecretHash(key.secretHash))?.id).toBe(key.id);
  });

  it('applies each migration once', async () => {
    const db = await openPglite();
    try {
      expect(await migrate(db)).toEqual(MIGRATIONS.map((migration) => migration.version));
      expect(await migrate(db)).toEqual([]);
      await createKeyplaneStore(db).ping();
    } finally {
      await db.close();
    }
  });
});

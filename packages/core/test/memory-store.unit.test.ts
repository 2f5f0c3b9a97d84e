// What the store suite (packages/store/test/store.test.ts, run on this store too) cannot see:
// that nothing handed out or taken in is shared with what is stored, and that a write undone
// halfway leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEvent, grant, type KeyplaneStore, type NewKey, openMemoryStore } from '../src/index.js';

const audit = (organizationId: string, targetId: string, action: AuditEvent['action'] = 'api_key.created') => ({
  id: randomUUID(),
  organizationId,
  occurredAt: new Date('2026-01-01T00:00:00.000Z'),
  action,
  actorKeyId: null,
  targetId,
  requestId: randomUUID(),
  details: { nested: { fields: ['name'] } },
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
    expiresAt: new Date('2030-01-01T00:00:00.000Z'),
    meta: { plan: 'pro', nested: { seats: [1, 2] } },
    ipAllowlist: ['10.0.0.0/8'],
    externalId: 'customer',
    roleIds: [],
    credits: null,
    ratelimits: [],
    ...overrides,
  };
}

/** Changes every part of a value that can be changed in place. */
function vandalize(value: unknown): void {
  if (value instanceof Date) value.setTime(0);
  else if (Array.isArray(value)) {
    for (const item of value) vandalize(item);
    value.push('vandal');
  } else if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) vandalize(inner);
    Object.assign(value, { vandal: true });
  }
}

describe('the memory store', () => {
  it('shares nothing it hands out or takes in with what it stores', async () => {
    const store = openMemoryStore();
    const organization = await store.ensureDefaultOrganization(new Date());
    const role = {
      id: randomUUID(),
      organizationId: organization.id,
      name: 'reader',
      grants: [grant('calls', 'view')],
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
      updatedAt: new Date('2026-01-01T00:00:00.000Z'),
    };
    const storedRole = await store.insertRole(role, audit(organization.id, role.id, 'role.created'));
    const given = await newKey(store, { roleIds: [role.id] });
    const inserted = await store.insertKey(given, audit(given.organizationId, given.id), 10);
    const found = await store.findKeyById(given.organizationId, given.id);
    const identity = await store.findIdentity(given.organizationId, 'customer');
    const events = await store.listAuditEvents(given.organizationId, { limit: 10 });
    expect(found).toEqual(inserted);
    expect(found?.roles).toEqual([{ id: role.id, name: 'reader', grants: role.grants }]);
    const stored = structuredClone({ key: found, role: storedRole, identity, events });

    for (const handed of [given, role, storedRole, inserted, found, identity, events]) vandalize(handed);

    expect({
      key: await store.findKeyById(given.organizationId, given.id),
      role: await store.findRole(organization.id, role.id),
      identity: await store.findIdentity(given.organizationId, 'customer'),
      events: await store.listAuditEvents(given.organizationId, { limit: 10 }),
    }).toEqual(stored);
    expect(stored.key?.meta).toEqual({ plan: 'pro', nested: { seats: [1, 2] } });
  });

  it('lets a decision see the key only as a copy: changing it and then refusing leaves the key as it was', async () => {
    const store = openMemoryStore();
    const key = await newKey(store);
    const inserted = await store.insertKey(key, audit(key.organizationId, key.id), 10);
    const refused = { ok: false as const, error: { kind: 'forbidden' as const, message: 'no' } };
    const answer = await store.updateKey(key.organizationId, key.id, (current) => {
      vandalize(current);
      return refused;
    });
    expect(answer).toBe(refused);
    expect(await store.findKeyById(key.organizationId, key.id)).toEqual(inserted);
  });

  it('leaves nothing behind of a write that fails halfway, the identity it created included', async () => {
    const store = openMemoryStore();
    const key = await newKey(store, { applicationId: randomUUID(), externalId: 'new-customer' });
    await expect(store.insertKey(key, audit(key.organizationId, key.id), 10)).rejects.toMatchObject({ code: '23503' });
    const batch = [await newKey(store, { externalId: 'imported' }), key];
    await expect(
      store.importKeys(
        batch,
        batch.map((imported) => audit(imported.organizationId, imported.id, 'api_key.imported')),
        10,
      ),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await store.findIdentity(key.organizationId, 'new-customer')).toBeNull();
    expect(await store.findIdentity(key.organizationId, 'imported')).toBeNull();
    expect(await store.listIdentities(key.organizationId)).toEqual([]);
    expect(await store.countKeys(key.organizationId)).toBe(0);
    expect(await store.holdsImportedKeys()).toBe(false);
    expect(await store.listAuditEvents(key.organizationId, { limit: 10 })).toEqual([]);
    // The quota the failed writes counted against is free again.
    const fits = await newKey(store, { externalId: null });
    expect(await store.insertKey(fits, audit(fits.organizationId, fits.id), 1)).not.toBeNull();
  });

  it('reads values back as PostgreSQL does', async () => {
    const store = openMemoryStore();
    const key = await newKey(store, {
      name: 'half a pair \uD800',
      meta: { bb: 1, a: { zz: true, y: false }, '10': 2 },
    });
    await store.insertKey(key, audit(key.organizationId, key.id), 10);
    const found = await store.findKeyById(key.organizationId.toUpperCase(), `{${key.id.toUpperCase()}}`);
    expect(found?.id).toBe(key.id);
    // jsonb keeps keys shortest first: what JSON text of the key shows.
    expect(JSON.stringify(found?.meta)).toBe('{"10":2,"a":{"y":false,"zz":true},"bb":1}');
    // The drivers send text as UTF-8, in which half a surrogate pair becomes U+FFFD.
    expect(found?.name).toBe('half a pair \uFFFD');
    await expect(store.findKeyById(key.organizationId, 'not-a-uuid')).rejects.toMatchObject({ code: '22P02' });
    await expect(store.findKeyBySecretHash('nul\u0000')).rejects.toMatchObject({ code: '22021' });
  });

  it('refuses every call once closed', async () => {
    const store = openMemoryStore();
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
    await expect(store.ensureDefaultOrganization(new Date())).rejects.toThrow(/closed/);
  });
});

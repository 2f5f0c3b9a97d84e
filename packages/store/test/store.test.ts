// One suite run on every store (the embedded one from one migrated template, PostgreSQL in a
// schema of its own, core's in memory): kept in one file so that all run exactly the same cases
// (over 300 lines).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Access,
  type ApiKey,
  type AuditEvent,
  grant,
  type KeyplaneStore,
  type NewKey,
  openMemoryStore,
} from '@keyplane/core';
import { afterEach, describe, expect, it } from 'vitest';
// By path: @keyplane/testing depends on this package, so this package cannot depend on it.
import { requireService } from '../../testing/src/services.js';
import {
  createEmbeddedStoreTemplate,
  createKeyplaneStore,
  type EmbeddedStoreTemplate,
  MIGRATIONS,
  migrate,
  openEmbeddedStore,
  openEmbeddedStoreFrom,
  openPglite,
  openPostgres,
  openPostgresStore,
  StoreUnavailableError,
} from '../src/index.js';

type Kind = 'embedded' | 'postgres' | 'memory';
const DATABASE_URL = requireService('DATABASE_URL') ?? '';
const KINDS: Kind[] = DATABASE_URL ? ['embedded', 'postgres', 'memory'] : ['embedded', 'memory'];

const opened: KeyplaneStore[] = [];
/** One migrated embedded database for the file; each test opens a copy of its own. */
let template: Promise<EmbeddedStoreTemplate> | undefined;
const fromTemplate = async () => {
  template ??= createEmbeddedStoreTemplate();
  return openEmbeddedStoreFrom(await template);
};
const folders: string[] = [];
const schemas: string[] = [];

async function withAdmin(statement: string) {
  const admin = await openPostgres({ connectionString: DATABASE_URL, poolSize: 1 });
  try {
    await admin.exec(statement);
  } finally {
    await admin.close();
  }
}

async function freshSchema(): Promise<string> {
  const schema = `keyplane_store_test_${randomUUID().replaceAll('-', '')}`;
  await withAdmin(`create schema ${schema}`);
  schemas.push(schema);
  return schema;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close().catch(() => {})));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
  for (const schema of schemas.splice(0)) await withAdmin(`drop schema if exists ${schema} cascade`);
});

describe.each(KINDS)('the %s store', (kind) => {
  async function open(dataDir?: string) {
    const store =
      kind === 'memory'
        ? openMemoryStore()
        : kind === 'postgres'
          ? await openPostgresStore({ connectionString: DATABASE_URL, schema: await freshSchema(), poolSize: 5 })
          : dataDir
            ? await openEmbeddedStore({ dataDir })
            : await fromTemplate();
    opened.push(store);
    return store;
  }

  function audit(
    organizationId: string,
    targetId: string,
    action: AuditEvent['action'] = 'api_key.updated',
    at = new Date(),
  ): AuditEvent {
    return {
      id: randomUUID(),
      organizationId,
      occurredAt: at,
      action,
      actorKeyId: null,
      targetId,
      requestId: randomUUID(),
      details: {},
    };
  }

  const insert = async (store: KeyplaneStore, key: NewKey) =>
    (await store.insertKey(key, audit(key.organizationId, key.id, 'api_key.created'), 1_000)) as ApiKey;

  /** A decision that always makes `change`, recorded by `event`. */
  const making =
    <Change>(change: Change, event: AuditEvent) =>
    () => ({ change, audit: event });

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
      meta: null,
      ipAllowlist: null,
      externalId: null,
      roleIds: [],
      credits: null,
      ratelimits: [],
      ...overrides,
    };
  }

  describe('credits', () => {
    const given = { remaining: 20, refill: null, refilledAt: new Date('2026-01-02T00:00:00.000Z') };
    const daily = { interval: 'daily' as const, amount: 10, refillDay: null };
    const at = new Date('2026-01-02T12:00:00.000Z');
    const one = { cost: 1, at, refill: null };

    it('keeps a key’s credits, and spends exactly what remains however many spend at once', async () => {
      const store = await open();
      const key = await newKey(store, { credits: given });
      expect((await insert(store, key)).credits).toEqual(given);
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.spendCredits(key.id, one)));
      const spent = outcomes.filter((outcome) => outcome?.spent);
      expect(spent).toHaveLength(20);
      expect(outcomes.filter((outcome) => outcome && !outcome.spent)).toHaveLength(30);
      expect(new Set(spent.map((outcome) => outcome?.credits.remaining)).size).toBe(20);
      expect(await store.findKeyCredits(key.id)).toEqual({ ...given, remaining: 0 });
      // Spending is no change of the key: it keeps its time of change.
      expect((await store.findKeyById(key.organizationId, key.id))?.updatedAt).toEqual(key.createdAt);
    });

    it('refills once when a period began, however many spend at once, and spends no more than the refill', async () => {
      const store = await open();
      const key = await newKey(store, { credits: { remaining: 0, refill: daily, refilledAt: at } });
      await insert(store, key);
      expect(await store.spendCredits(key.id, { cost: 1, at, refill: daily })).toEqual({
        spent: false,
        credits: { remaining: 0, refill: daily, refilledAt: at },
      });
      const nextDay = { cost: 1, at: new Date('2026-01-05T08:00:00.000Z'), refill: daily };
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => store.spendCredits(key.id, nextDay)));
      expect(outcomes.filter((outcome) => outcome?.spent)).toHaveLength(10);
      expect(await store.findKeyCredits(key.id)).toEqual({
        remaining: 0,
        refill: daily,
        refilledAt: new Date('2026-01-05T00:00:00.000Z'),
      });
    });

    it('spends as the stored refill says when the caller read another', async () => {
      const store = await open();
      const key = await newKey(store, { credits: { remaining: 0, refill: daily, refilledAt: at } });
      await insert(store, key);
      const later = new Date('2026-01-03T01:00:00.000Z');
      expect(await store.spendCredits(key.id, { cost: 4, at: later, refill: null })).toEqual({
        spent: true,
        credits: { remaining: 6, refill: daily, refilledAt: new Date('2026-01-03T00:00:00.000Z') },
      });
      expect(await store.spendCredits(key.id, { cost: 7, at: later, refill: { ...daily, amount: 99 } })).toMatchObject({
        spent: false,
        credits: { remaining: 6 },
      });
    });

    it('changes credits only when told, and makes them unlimited', async () => {
      const store = await open();
      const key = await newKey(store, { credits: given });
      await insert(store, key);
      const renamed = await store.updateKey(
        key.organizationId,
        key.id,
        making({ name: 'renamed', updatedAt: new Date() }, audit(key.organizationId, key.id, 'api_key.updated')),
      );
      expect((renamed as ApiKey).credits).toEqual(given);
      const unlimited = await store.updateKey(
        key.organizationId,
        key.id,
        making({ credits: null, updatedAt: new Date() }, audit(key.organizationId, key.id, 'api_key.updated')),
      );
      expect((unlimited as ApiKey).credits).toBeNull();
      expect(await store.spendCredits(key.id, one)).toBeNull();
      expect(await store.findKeyCredits(key.id)).toBeNull();
    });

    it('answers null for a key without credits, or none at all', async () => {
      const store = await open();
      const key = await newKey(store);
      expect((await insert(store, key)).credits).toBeNull();
      expect(await store.spendCredits(key.id, one)).toBeNull();
      expect(await store.spendCredits(randomUUID(), one)).toBeNull();
      expect(await store.findKeyCredits(randomUUID())).toBeNull();
    });
  });

  describe('named rate limits', () => {
    const at = new Date('2026-01-02T12:00:05.000Z');
    const take = (subject: string, name: string, limit: number, cost = 1) => ({
      subject,
      name,
      limit,
      durationMs: 10_000,
      cost,
    });
    const reset = Date.parse('2026-01-02T12:00:10.000Z');

    it('admits exactly the limit however many take at once, and again in the next window', async () => {
      const store = await open();
      const subject = `key:${randomUUID()}`;
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () => store.takeRateLimits([take(subject, 'requests', 10)], at)),
      );
      const admitted = outcomes.filter((outcome) => outcome.admitted);
      expect(admitted).toHaveLength(10);
      expect(new Set(admitted.map((outcome) => outcome.states[0]?.remaining))).toEqual(
        new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      );
      expect(outcomes.find((outcome) => !outcome.admitted)?.states).toEqual([
        { name: 'requests', limit: 10, remaining: 0, reset, exceeded: true },
      ]);
      const next = await store.takeRateLimits([take(subject, 'requests', 10)], new Date(reset));
      expect(next).toEqual({
        admitted: true,
        states: [{ name: 'requests', limit: 10, remaining: 9, reset: reset + 10_000, exceeded: false }],
      });
    });

    it('counts several limits all or none', async () => {
      const store = await open();
      const [key, identity] = [`key:${randomUUID()}`, `identity:${randomUUID()}`];
      const both = [take(key, 'requests', 5), take(identity, 'tokens', 100, 60)];
      expect((await store.takeRateLimits(both, at)).admitted).toBe(true);
      const refused = await store.takeRateLimits(both, at);
      expect(refused).toEqual({
        admitted: false,
        states: [
          { name: 'requests', limit: 5, remaining: 4, reset, exceeded: false },
          { name: 'tokens', limit: 100, remaining: 40, reset, exceeded: true },
        ],
      });
      // The refused take counted nothing: four requests are left.
      const requests = await Promise.all(
        Array.from({ length: 6 }, () => store.takeRateLimits([take(key, 'requests', 5)], at)),
      );
      expect(requests.filter((outcome) => outcome.admitted)).toHaveLength(4);
    });

    it('counts in the next window for a clock a little ahead, and lets none far ahead hold a limit shut', async () => {
      const store = await open();
      const [near, far] = [`key:${randomUUID()}`, `key:${randomUUID()}`];
      const ahead = (windows: number) => new Date(at.getTime() + windows * 10_000);
      expect((await store.takeRateLimits([take(near, 'requests', 1)], ahead(1))).admitted).toBe(true);
      expect(await store.takeRateLimits([take(near, 'requests', 1)], at)).toEqual({
        admitted: false,
        states: [{ name: 'requests', limit: 1, remaining: 0, reset: reset + 10_000, exceeded: true }],
      });
      expect((await store.takeRateLimits([take(far, 'requests', 1)], ahead(360))).admitted).toBe(true);
      expect(await store.takeRateLimits([take(far, 'requests', 1)], at)).toEqual({
        admitted: true,
        states: [{ name: 'requests', limit: 1, remaining: 0, reset, exceeded: false }],
      });
    });

    it('refuses a cost over the limit without counting it, and admits a cost of nothing', async () => {
      const store = await open();
      const subject = `key:${randomUUID()}`;
      expect((await store.takeRateLimits([take(subject, 'requests', 3, 4)], at)).states).toEqual([
        { name: 'requests', limit: 3, remaining: 3, reset, exceeded: true },
      ]);
      expect((await store.takeRateLimits([take(subject, 'requests', 3, 0)], at)).admitted).toBe(true);
      expect((await store.takeRateLimits([take(subject, 'requests', 3, 3)], at)).admitted).toBe(true);
      expect(await store.takeRateLimits([], at)).toEqual({ admitted: true, states: [] });
    });
  });

  describe('keys, applications and settings', () => {
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
      const inserted = await insert(store, key);
      expect(inserted).toMatchObject({
        id: key.id,
        access: key.access,
        createdAt: key.createdAt,
        updatedAt: key.createdAt,
      });
      expect(await store.findKeyBySecretHash(key.secretHash)).toEqual({ key: inserted, matched: 'current' });
      expect(await store.findKeyById(key.organizationId, key.id)).toEqual(inserted);
    });

    it('keeps a key’s metadata as it was given, changes it only when told, and clears it', async () => {
      const store = await open();
      const meta = { plan: 'pro', seats: 12, nested: { flags: [true, null], note: 'é 😀' } };
      const key = await newKey(store, { meta });
      expect((await insert(store, key)).meta).toEqual(meta);
      expect((await store.findKeyBySecretHash(key.secretHash))?.key.meta).toEqual(meta);
      const updatedAt = new Date('2026-02-01T00:00:00Z');
      const renamed = await store.updateKey(
        key.organizationId,
        key.id,
        making({ name: 'renamed', updatedAt }, audit(key.organizationId, key.id)),
      );
      expect(renamed).toMatchObject({ name: 'renamed', meta });
      const replaced = await store.updateKey(
        key.organizationId,
        key.id,
        making({ meta: { plan: 'free' }, updatedAt }, audit(key.organizationId, key.id)),
      );
      expect(replaced).toMatchObject({ meta: { plan: 'free' } });
      const cleared = await store.updateKey(
        key.organizationId,
        key.id,
        making({ meta: null, updatedAt }, audit(key.organizationId, key.id)),
      );
      expect(cleared).toMatchObject({ meta: null });
      expect((await store.findKeyById(key.organizationId, key.id))?.meta).toBeNull();
    });

    it('scopes every lookup by organization', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const stranger = randomUUID();
      expect(await store.findKeyById(stranger, key.id)).toBeNull();
      expect(await store.listKeys(stranger)).toEqual([]);
      expect(
        await store.updateKey(
          stranger,
          key.id,
          making({ name: 'stolen', updatedAt: new Date() }, audit(stranger, key.id)),
        ),
      ).toBeNull();
      expect(await store.deleteKey(stranger, key.id, undefined, audit(stranger, key.id))).toBe(false);
      expect(await store.listAuditEvents(stranger, { limit: 10 })).toEqual([]);
      expect((await store.findKeyById(key.organizationId, key.id))?.name).toBe('test');
    });

    it('updates only the fields it is given', async () => {
      const store = await open();
      const key = await newKey(store, { expiresAt: new Date('2030-01-01T00:00:00Z') });
      await insert(store, key);
      const updatedAt = new Date('2026-02-01T00:00:00Z');
      const updated = await store.updateKey(
        key.organizationId,
        key.id,
        making({ status: 'disabled' as const, updatedAt }, audit(key.organizationId, key.id)),
      );
      expect(updated).toMatchObject({
        name: 'test',
        status: 'disabled',
        access: key.access,
        expiresAt: key.expiresAt,
        updatedAt,
      });
      const cleared = await store.updateKey(
        key.organizationId,
        key.id,
        making(
          { expiresAt: null, access: { restricted: false } as const, updatedAt },
          audit(key.organizationId, key.id),
        ),
      );
      expect(cleared).toMatchObject({ expiresAt: null, access: { restricted: false } });
    });

    it('deletes a key exactly once under concurrent deletes', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.deleteKey(key.organizationId, key.id, undefined, audit(key.organizationId, key.id, 'api_key.deleted')),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.findKeyBySecretHash(key.secretHash)).toBeNull();
      const events = await store.listAuditEvents(key.organizationId, { limit: 100 });
      expect(events.filter((event) => event.action === 'api_key.deleted')).toHaveLength(1);
    });

    it('deletes under an application only when the key belongs to it', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      expect(await store.deleteKey(key.organizationId, key.id, randomUUID(), audit(key.organizationId, key.id))).toBe(
        false,
      );
      expect(
        await store.deleteKey(key.organizationId, key.id, key.applicationId, audit(key.organizationId, key.id)),
      ).toBe(true);
    });

    it('holds an organization to its key quota, counting deletes, also under concurrent creates', async () => {
      const store = await open();
      const first = await newKey(store);
      const created = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const key = await newKey(store, { secretHash: randomUUID() });
          return store.insertKey(key, audit(key.organizationId, key.id, 'api_key.created'), 5);
        }),
      );
      expect(created.filter((key) => key !== null)).toHaveLength(5);
      expect(await store.insertKey(first, audit(first.organizationId, first.id, 'api_key.created'), 5)).toBeNull();
      expect(await store.countKeys(first.organizationId)).toBe(5);
      const removed = created.find((key) => key !== null) as ApiKey;
      expect(
        await store.deleteKey(removed.organizationId, removed.id, undefined, audit(removed.organizationId, removed.id)),
      ).toBe(true);
      expect(await store.insertKey(first, audit(first.organizationId, first.id, 'api_key.created'), 5)).toMatchObject({
        id: first.id,
      });
    });

    it('audits each create and delete that took effect, and only those, among concurrent ones', async () => {
      const store = await open();
      const organizationId = (await newKey(store)).organizationId;
      const keys = await Promise.all(Array.from({ length: 6 }, () => newKey(store, { secretHash: randomUUID() })));
      const created = await Promise.all(
        keys.map((key) => store.insertKey(key, audit(organizationId, key.id, 'api_key.created'), 4)),
      );
      const stored = created.filter((key): key is ApiKey => key !== null);
      expect(stored).toHaveLength(4);
      const deleted = await Promise.all(
        [...stored, ...stored].map((key) =>
          store.deleteKey(organizationId, key.id, undefined, audit(organizationId, key.id, 'api_key.deleted')),
        ),
      );
      expect(deleted.filter(Boolean)).toHaveLength(4);
      const events = await store.listAuditEvents(organizationId, { limit: 100 });
      const targets = (action: AuditEvent['action']) =>
        events
          .filter((event) => event.action === action)
          .map((event) => event.targetId)
          .sort();
      const storedIds = stored.map((key) => key.id).sort();
      expect(targets('api_key.created')).toEqual(storedIds);
      expect(targets('api_key.deleted')).toEqual(storedIds);
      expect(await store.countKeys(organizationId)).toBe(0);
      // The count went down with every delete: the whole quota is free again.
      const again = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const key = await newKey(store, { secretHash: randomUUID() });
          return store.insertKey(key, audit(organizationId, key.id, 'api_key.created'), 4);
        }),
      );
      expect(again.filter((key) => key !== null)).toHaveLength(4);
    });

    it('fails a create alone when it cannot be written: those committed beside it stay, and are counted', async () => {
      const store = await open();
      const taken = await newKey(store);
      await insert(store, taken);
      const keys = await Promise.all(Array.from({ length: 5 }, () => newKey(store, { secretHash: randomUUID() })));
      const clash = await newKey(store, { secretHash: taken.secretHash });
      const outcomes = await Promise.allSettled(
        [...keys.slice(0, 2), clash, ...keys.slice(2)].map((key) =>
          store.insertKey(key, audit(key.organizationId, key.id, 'api_key.created'), 1_000),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect(await store.countKeys(taken.organizationId)).toBe(6);
      const events = await store.listAuditEvents(taken.organizationId, { limit: 100 });
      expect(events.filter((event) => event.targetId === clash.id)).toEqual([]);
      // The count kept by the organization agrees with the keys: a quota of 7 leaves room for one.
      const one = await newKey(store, { secretHash: randomUUID() });
      const two = await newKey(store, { secretHash: randomUUID() });
      expect(await store.insertKey(one, audit(one.organizationId, one.id, 'api_key.created'), 7)).not.toBeNull();
      expect(await store.insertKey(two, audit(two.organizationId, two.id, 'api_key.created'), 7)).toBeNull();
    });

    it('changes a key atomically: concurrent changes each see the one before', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const resources = Array.from({ length: 12 }, (_, index) => `resource_${index}`);
      const adding = (resource: string) => (current: ApiKey) => {
        const grants = current.access.restricted ? current.access.grants : [];
        const access: Access = { restricted: true, grants: [...grants, grant(resource, 'read')] };
        return { change: { access, updatedAt: new Date() }, audit: audit(key.organizationId, key.id) };
      };
      await Promise.all(resources.map((resource) => store.updateKey(key.organizationId, key.id, adding(resource))));
      const stored = await store.findKeyById(key.organizationId, key.id);
      const held = stored?.access.restricted ? stored.access.grants.map((held) => held.resource) : [];
      expect(held.sort()).toEqual(['queues', ...resources].sort());
    });

    it('writes nothing when a change is refused', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const refused = { ok: false as const, error: { kind: 'forbidden' as const, message: 'no' } };
      expect(await store.updateKey(key.organizationId, key.id, () => refused)).toEqual(refused);
      expect(await store.rotateKey(key.organizationId, key.id, () => refused)).toEqual(refused);
      expect((await store.findKeyById(key.organizationId, key.id))?.secretGeneration).toBe(1);
      expect(await store.listAuditEvents(key.organizationId, { limit: 10 })).toHaveLength(1);
    });

    it('pages applications in creation order after a position', async () => {
      const store = await open();
      const organization = await store.ensureDefaultOrganization(new Date());
      const made = [];
      for (let index = 0; index < 4; index += 1) {
        const application = {
          id: randomUUID(),
          organizationId: organization.id,
          name: `app ${index}`,
          description: null,
          isDefault: false,
          createdAt: new Date(Date.UTC(2030, 0, 1, 0, index)),
        };
        made.push(
          await store.insertApplication(application, audit(organization.id, application.id, 'application.created')),
        );
      }
      const first = await store.listApplications(organization.id, { limit: 3 });
      expect(first.map((application) => application.isDefault)).toEqual([true, false, false]);
      const last = first.at(-1) as (typeof first)[number];
      const rest = await store.listApplications(organization.id, { limit: 3, after: last });
      expect(rest.map((application) => application.name)).toEqual(['app 2', 'app 3']);
    });

    it('refuses a second key with the same secret digest', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      await expect(insert(store, { ...key, id: randomUUID() })).rejects.toThrow();
    });

    it('finds a rotated key by its new secret, and by the old one with its grace end', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const graceEnd = new Date(Date.now() + 60_000);
      const rotation = {
        secretHash: randomUUID(),
        hint: 'kp_new1',
        lastFour: 'new4',
        previousSecretExpiresAt: graceEnd,
        rotatedAt: new Date(),
      };
      const rotated = await store.rotateKey(
        key.organizationId,
        key.id,
        making(rotation, audit(key.organizationId, key.id, 'api_key.rotated')),
      );
      expect(rotated).toMatchObject({ hint: 'kp_new1', lastFour: 'new4', secretGeneration: 2 });
      expect(await store.findKeyBySecretHash(rotation.secretHash)).toMatchObject({ matched: 'current' });
      expect(await store.findKeyBySecretHash(key.secretHash)).toMatchObject({
        matched: 'previous',
        key: { previousSecretExpiresAt: graceEnd, rotatedAt: rotation.rotatedAt },
      });
      const again = { ...rotation, secretHash: randomUUID(), previousSecretExpiresAt: null };
      await store.rotateKey(
        key.organizationId,
        key.id,
        making(again, audit(key.organizationId, key.id, 'api_key.rotated')),
      );
      expect(await store.findKeyBySecretHash(key.secretHash)).toBeNull();
      expect(await store.findKeyBySecretHash(rotation.secretHash)).toBeNull();
      expect(await store.findKeyBySecretHash(again.secretHash)).toMatchObject({ matched: 'current' });
    });

    it('pages keys by cursor in both orders and from both sides, and by offset', async () => {
      const store = await open();
      const ids: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        const key = await newKey(store, {
          secretHash: randomUUID(),
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
        });
        await insert(store, key);
        ids.push(key.id);
      }
      const organizationId = (await store.ensureDefaultOrganization(new Date())).id;
      const page = async (query: Parameters<KeyplaneStore['listKeys']>[1]) =>
        (await store.listKeys(organizationId, query)).map((key) => ids.indexOf(key.id));
      const at = async (index: number) => {
        const key = await store.findKeyById(organizationId, ids[index] as string);
        return { createdAt: key?.createdAt as Date, id: key?.id as string };
      };
      expect(await page({ order: 'asc' })).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(await page({ order: 'desc', limit: 3 })).toEqual([6, 5, 4]);
      expect(await page({ order: 'desc', limit: 3, after: await at(4) })).toEqual([3, 2, 1]);
      expect(await page({ order: 'desc', limit: 3, before: await at(1) })).toEqual([4, 3, 2]);
      expect(await page({ order: 'asc', limit: 2, after: await at(4) })).toEqual([5, 6]);
      expect(await page({ order: 'asc', limit: 2, before: await at(4) })).toEqual([2, 3]);
      expect(await page({ order: 'asc', limit: 2, offset: 5 })).toEqual([5, 6]);
      expect(await store.countKeys(organizationId)).toBe(7);
    });

    it('records the latest use of keys in one batch', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      const later = new Date('2026-03-01T00:00:00.000Z');
      const earlier = new Date('2026-02-01T00:00:00.000Z');
      await store.recordKeyUsage([
        { id: key.id, usedAt: later },
        { id: randomUUID(), usedAt: later },
      ]);
      await store.recordKeyUsage([{ id: key.id, usedAt: earlier }]);
      expect((await store.findKeyById(key.organizationId, key.id))?.lastUsedAt).toEqual(later);
    });

    it('orders the audit log by sequence, not by its text (117 after 99)', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      for (let index = 0; index < 120; index += 1) {
        await store.updateKey(
          key.organizationId,
          key.id,
          making({ name: `n${index}`, updatedAt: new Date() }, audit(key.organizationId, key.id)),
        );
      }
      const sequences: number[] = [];
      let before: string | undefined;
      do {
        const page = await store.listAuditEvents(key.organizationId, {
          limit: 50,
          ...(before ? { beforeSequence: before } : {}),
        });
        sequences.push(...page.map((event) => Number(event.sequence)));
        before = page.length === 50 ? (page.at(-1)?.sequence as string) : undefined;
      } while (before);
      expect(sequences).toHaveLength(121);
      expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    });

    it('lists audit events newest first, a page at a time', async () => {
      const store = await open();
      const key = await newKey(store);
      await insert(store, key);
      for (let minute = 1; minute <= 4; minute += 1) {
        const at = new Date(Date.UTC(2030, 0, 1, 0, minute));
        await store.updateKey(
          key.organizationId,
          key.id,
          making({ name: `n${minute}`, updatedAt: at }, audit(key.organizationId, key.id, 'api_key.updated', at)),
        );
      }
      const first = await store.listAuditEvents(key.organizationId, { limit: 2 });
      expect(first.map((event) => event.occurredAt.getUTCMinutes())).toEqual([4, 3]);
      const last = first.at(-1) as AuditEvent;
      const second = await store.listAuditEvents(key.organizationId, {
        limit: 10,
        beforeSequence: last.sequence as string,
      });
      expect(second.map((event) => event.action)).toEqual(['api_key.updated', 'api_key.updated', 'api_key.created']);
    });

    it('keeps a setting first written', async () => {
      const store = await open();
      expect(await store.putSettingIfAbsent('x', 'first')).toBe('first');
      expect(await store.putSettingIfAbsent('x', 'second')).toBe('first');
    });

    it.runIf(kind === 'embedded')('persists on disk across a reopen', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'keyplane-store-'));
      folders.push(folder);
      const first = await open(folder);
      const key = await newKey(first);
      await insert(first, key);
      await first.close();
      const second = await open(folder);
      expect((await second.findKeyBySecretHash(key.secretHash))?.key.id).toBe(key.id);
    });

    // The memory store has no schema to migrate.
    it.skipIf(kind === 'memory')('applies each migration once, also when instances start together', async () => {
      const db =
        kind === 'embedded'
          ? await openPglite()
          : await openPostgres({ connectionString: DATABASE_URL, schema: await freshSchema() });
      try {
        if (kind === 'postgres') {
          const results = await Promise.all([migrate(db), migrate(db), migrate(db)]);
          expect(results.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((migration) => migration.version));
          await createKeyplaneStore(db).ping();
          return;
        }
        expect(await migrate(db)).toEqual(MIGRATIONS.map((migration) => migration.version));
        expect(await migrate(db)).toEqual([]);
        await createKeyplaneStore(db).ping();
      } finally {
        await db.close();
      }
    });
  });
  describe('roles, identities and imports', () => {
    const role = (organizationId: string, name: string, grants = [grant('calls', 'view')]) => {
      const at = new Date('2026-01-01T00:00:00.000Z');
      return { id: randomUUID(), organizationId, name, grants, createdAt: at, updatedAt: at };
    };

    it('gives a key its identity, created with it once, and its roles by name in byte order', async () => {
      const store = await open();
      const { organizationId } = await newKey(store);
      const lower = await store.insertRole(role(organizationId, 'auditor'), audit(organizationId, randomUUID()));
      const upper = await store.insertRole(role(organizationId, 'Zed'), audit(organizationId, randomUUID()));
      const roleIds = [lower?.id as string, upper?.id as string, randomUUID()];
      const first = await insert(store, await newKey(store, { externalId: 'cust-1', roleIds }));
      // Upper case before lower: the text order of the SQL store's databases (collation C).
      expect(first.roles.map((held) => held.name)).toEqual(['Zed', 'auditor']);
      expect(first.identity).toEqual({ id: expect.any(String), externalId: 'cust-1', meta: null, ratelimits: [] });
      const second = await insert(store, await newKey(store, { secretHash: randomUUID(), externalId: 'cust-1' }));
      expect(second.identity?.id).toBe(first.identity?.id);
      expect((await store.findIdentity(organizationId, 'cust-1'))?.id).toBe(first.identity?.id);
      const ofCustomer = await store.listKeys(organizationId, {
        order: 'asc',
        identityId: first.identity?.id as string,
      });
      expect(ofCustomer.map((key) => key.id).sort()).toEqual([first.id, second.id].sort());
      expect(await store.deleteRole(organizationId, upper?.id as string, audit(organizationId, randomUUID()))).toEqual(
        upper,
      );
      const changed = await store.updateKey(
        organizationId,
        first.id,
        making({ externalId: null, updatedAt: new Date() }, audit(organizationId, first.id)),
      );
      expect(changed).toMatchObject({ identity: null, roles: [{ name: 'auditor' }] });
    });

    it('refuses a role the name of another, writing nothing, and finds roles by id or by name', async () => {
      const store = await open();
      const { organizationId } = await newKey(store);
      const reader = (await store.insertRole(role(organizationId, 'reader'), audit(organizationId, randomUUID()))) as {
        id: string;
      };
      await store.insertRole(role(organizationId, 'writer'), audit(organizationId, randomUUID()));
      expect(await store.insertRole(role(organizationId, 'reader'), audit(organizationId, randomUUID()))).toBeNull();
      const events = (await store.listAuditEvents(organizationId, { limit: 100 })).length;
      const renaming = (name: string) => making({ name, updatedAt: new Date() }, audit(organizationId, reader.id));
      expect(await store.updateRole(organizationId, reader.id, renaming('writer'))).toBe('duplicate_name');
      expect(await store.listAuditEvents(organizationId, { limit: 100 })).toHaveLength(events);
      expect(await store.updateRole(organizationId, reader.id, renaming('reader'))).toMatchObject({ name: 'reader' });
      expect((await store.findRole(organizationId, reader.id))?.name).toBe('reader');
      expect((await store.findRole(organizationId, 'writer'))?.name).toBe('writer');
      expect(await store.findRole(randomUUID(), 'writer')).toBeNull();
      const named = await store.findRolesByName(organizationId, ['writer', 'reader', 'nobody']);
      expect(named.map((found) => found.name)).toEqual(['reader', 'writer']);
    });

    it('deletes an identity with its keys only when asked, auditing each', async () => {
      const store = await open();
      const key = await insert(store, await newKey(store, { externalId: 'cust-9' }));
      const { organizationId } = key;
      const identityId = key.identity?.id as string;
      const removal = (deleteKeys: boolean) => ({
        deleteKeys,
        audit: audit(organizationId, identityId, 'identity.deleted'),
        keyAudit: (keyId: string) => audit(organizationId, keyId, 'api_key.deleted'),
      });
      expect(await store.deleteIdentity(organizationId, identityId, removal(false))).toBe('has_keys');
      expect(await store.findKeyById(organizationId, key.id)).not.toBeNull();
      const removed = await store.deleteIdentity(organizationId, identityId, removal(true));
      expect(removed).toMatchObject({ identity: { id: identityId, externalId: 'cust-9' }, deletedKeyIds: [key.id] });
      expect(await store.findKeyById(organizationId, key.id)).toBeNull();
      expect(await store.countKeys(organizationId)).toBe(0);
      const actions = (await store.listAuditEvents(organizationId, { limit: 10 })).map((event) => event.action);
      expect(actions).toEqual(['identity.deleted', 'api_key.deleted', 'api_key.created']);
      expect(await store.deleteIdentity(organizationId, identityId, removal(true))).toBeNull();
    });

    it('imports keys all or none within the quota, and rehashes one only from the digest it has', async () => {
      const store = await open();
      const taken = await newKey(store);
      await insert(store, taken);
      const { organizationId } = taken;
      const batch = await Promise.all(
        [2, 1].map(async (second) =>
          newKey(store, {
            secretHash: randomUUID(),
            externalId: 'imported-customer',
            createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)),
          }),
        ),
      );
      const events = (keys: readonly NewKey[]) => keys.map((key) => audit(organizationId, key.id, 'api_key.imported'));
      const clashing = [...batch, await newKey(store, { secretHash: taken.secretHash })];
      expect(await store.importKeys(clashing, events(clashing), 1_000)).toBe('duplicate_secret');
      expect(await store.importKeys(batch, events(batch), 2)).toBe('quota_exceeded');
      expect(await store.holdsImportedKeys()).toBe(false);
      expect(await store.findIdentity(organizationId, 'imported-customer')).toBeNull();
      expect(await store.countKeys(organizationId)).toBe(1);
      const imported = (await store.importKeys(batch, events(batch), 3)) as ApiKey[];
      // In creation order, not in the batch's.
      expect(imported.map((key) => key.id)).toEqual([batch[1]?.id, batch[0]?.id]);
      expect(new Set(imported.map((key) => key.identity?.externalId))).toEqual(new Set(['imported-customer']));
      expect(await store.holdsImportedKeys()).toBe(true);
      const [first] = batch as [NewKey];
      const rehash = { secretHash: randomUUID(), hint: 'kp_rehashed', lastFour: 'abcd' };
      await store.rehashKey(first.id, { ...rehash, from: randomUUID() });
      expect(await store.findKeyBySecretHash(rehash.secretHash)).toBeNull();
      await store.rehashKey(first.id, { ...rehash, from: first.secretHash });
      expect(await store.findKeyBySecretHash(first.secretHash)).toBeNull();
      expect(await store.findKeyBySecretHash(rehash.secretHash)).toMatchObject({
        matched: 'current',
        key: { id: first.id, hint: 'kp_rehashed', lastFour: 'abcd' },
      });
    });
  });
});

describe.runIf(KINDS.includes('postgres'))('a PostgreSQL store that cannot be used', () => {
  it('fails at once with the reason and without the password', async () => {
    const url = new URL(DATABASE_URL);
    url.password = 'hunter2-secret';
    url.port = '1';
    const unreachable = openPostgresStore({ connectionString: url.toString() });
    await expect(unreachable).rejects.toThrow(StoreUnavailableError);
    await expect(unreachable).rejects.toThrow(/cannot use PostgreSQL at .*:1\//);
    await expect(unreachable).rejects.not.toThrow(/hunter2/);
    const noDatabase = new URL(DATABASE_URL);
    noDatabase.pathname = '/no_such_database_here';
    await expect(openPostgresStore({ connectionString: noDatabase.toString() })).rejects.toThrow(
      /no_such_database_here/,
    );
  });
});

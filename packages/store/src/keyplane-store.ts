import { randomUUID } from 'node:crypto';
import {
  type ApiKey,
  type CreditRefill,
  creditsAt,
  type Decision,
  type Err,
  type ImportRefusal,
  isErr,
  type KeyChanges,
  type KeyDecision,
  type KeyplaneStore,
  type NewKey,
} from '@keyplane/core';
import type { SqlDatabase, SqlExecutor } from './sql.js';
import * as keys from './tables/api-keys.js';
import * as applications from './tables/applications.js';
import * as audit from './tables/audit-events.js';
import * as countedKeys from './tables/counted-key-writes.js';
import * as identities from './tables/identities.js';
import * as organizations from './tables/organizations.js';
import { takeRateLimits } from './tables/rate-limit-windows.js';
import * as roles from './tables/roles.js';
import * as settings from './tables/settings.js';

const DEFAULT_ORGANIZATION_SETTING = 'default_organization_id';
/** Set by the first import: from then on, secrets in other formats may name keys. */
const IMPORTED_KEYS_SETTING = 'imported_keys';

/** Thrown inside a transaction to roll it back and answer with a refusal instead. */
class Refused<R> extends Error {
  constructor(readonly refusal: R) {
    super(String(refusal));
  }
}

async function refusable<T, R>(work: () => Promise<T>): Promise<T | R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Refused) return error.refusal as R;
    throw error;
  }
}

/** A unique constraint refused the write (PostgreSQL's SQLSTATE 23505, from either engine). */
const isUniqueViolation = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

/** The identity of this external id, created with the key's creation time when it is new; null for none. */
const identityFor = (tx: SqlExecutor, organizationId: string, externalId: string | null, now: Date) =>
  externalId === null
    ? Promise.resolve(null)
    : identities.ensureIdentity(tx, organizationId, externalId, randomUUID(), now);

/** A change of a row read under its lock, written with its audit event; null when there is no such row. */
async function changeLocked<Entity, Change>(
  tx: SqlExecutor,
  current: Entity | null,
  decide: Decision<Entity, Change>,
  write: (change: Change) => Promise<Entity>,
): Promise<Entity | Err | null> {
  if (!current) return null;
  const decision = decide(current);
  if (isErr(decision)) return decision;
  const changed = await write(decision.change);
  await audit.insertAuditEvent(tx, decision.audit);
  return changed;
}

/** Writes the identity and roles a key change gives before its columns, so the key reads back with them. */
async function changeKeyWithRelations(tx: SqlExecutor, organizationId: string, id: string, change: KeyChanges) {
  if (change.externalId !== undefined) {
    const identityId = await identityFor(tx, organizationId, change.externalId, change.updatedAt);
    await keys.setKeyIdentity(tx, organizationId, id, identityId);
  }
  if (change.roleIds !== undefined) await roles.setKeyRoles(tx, organizationId, id, change.roleIds);
  return keys.changeKey(tx, organizationId, id, change);
}

/** Inserts imported keys, all or none, within the quota: their identities, roles and events with them. */
async function importKeys(
  tx: SqlExecutor,
  batch: readonly NewKey[],
  events: Parameters<KeyplaneStore['importKeys']>[1],
  quota: number,
) {
  const [first] = batch;
  if (!first) return [];
  const { organizationId } = first;
  if (!(await organizations.countKeys(tx, organizationId, batch.length, quota))) {
    throw new Refused<ImportRefusal>('quota_exceeded');
  }
  const identityIds = new Map<string, string>();
  for (const key of batch) {
    if (key.externalId !== null && !identityIds.has(key.externalId)) {
      identityIds.set(
        key.externalId,
        await identities.ensureIdentity(tx, organizationId, key.externalId, randomUUID(), key.createdAt),
      );
    }
  }
  await keys.insertKeys(
    tx,
    batch.map((key) => keys.keyRow(key, key.externalId === null ? null : (identityIds.get(key.externalId) ?? null))),
  );
  for (const key of batch) {
    if (key.roleIds.length > 0) await roles.setKeyRoles(tx, organizationId, key.id, key.roleIds);
  }
  for (const event of events) await audit.insertAuditEvent(tx, event);
  await settings.putSettingIfAbsent(tx, IMPORTED_KEYS_SETTING, 'true');
  const imported = await keys.listKeysById(
    tx,
    organizationId,
    batch.map(({ id }) => id),
  );
  return imported;
}

/**
 * A key's change, decided from the key as it is under a row lock held until the change
 * and its audit event are committed: concurrent changes of one key happen one after the other.
 */
function changeKey<Change>(
  db: SqlDatabase,
  organizationId: string,
  id: string,
  decide: KeyDecision<Change>,
  write: (tx: SqlExecutor, change: Change) => Promise<ApiKey>,
): Promise<ApiKey | Err | null> {
  return db.transaction(async (tx) => {
    const current = await keys.findKeyForUpdate(tx, organizationId, id);
    if (!current) return null;
    const decision = decide(current);
    if (isErr(decision)) return decision;
    const changed = await write(tx, decision.change);
    await audit.insertAuditEvent(tx, decision.audit);
    return changed;
  });
}

/** The domain's store over any PostgreSQL engine: the same SQL for PGlite and a server. */
export function createKeyplaneStore(db: SqlDatabase): KeyplaneStore {
  return {
    insertKey: (key, event, quota) =>
      refusable<ApiKey | null, null>(() =>
        db.transaction(async (tx) => {
          const identityId = await identityFor(tx, key.organizationId, key.externalId, key.createdAt);
          const inserted = await countedKeys.insertKeyWithinQuota(tx, key, identityId, event, quota);
          // Over the quota: an identity created for the key goes with it.
          if (!inserted) throw new Refused(null);
          if (identityId === null && key.roleIds.length === 0) return inserted;
          await roles.setKeyRoles(tx, key.organizationId, key.id, key.roleIds);
          return keys.findKeyById(tx, key.organizationId, key.id);
        }),
      ),

    findKeyById: (organizationId, id) => keys.findKeyById(db, organizationId, id),
    findKeyBySecretHash: (secretHash) => keys.findKeyBySecretHash(db, secretHash),
    listKeys: (organizationId, query = { order: 'asc' }) => keys.listKeys(db, organizationId, query),
    countKeys: (organizationId, applicationId) => keys.countKeys(db, organizationId, applicationId),

    updateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (tx, change) => changeKeyWithRelations(tx, organizationId, id, change)),

    rotateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (tx, rotation) => keys.rotateKey(tx, organizationId, id, rotation)),

    deleteKey: (organizationId, id, applicationId, event) =>
      db.transaction((tx) => countedKeys.deleteCountedKey(tx, organizationId, id, applicationId, event)),

    async spendCredits(id, spending) {
      // One statement when the credits suffice; else a read tells why. Credits added between the
      // two are asked for again, and a refill changed meanwhile is settled under the row's lock.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const spent = await keys.spendCreditsAtOnce(db, id, spending);
        if (spent) return { credits: spent, spent: true };
        const current = await keys.findKeyCredits(db, id);
        if (current === null) return null;
        if (!sameRefill(current.refill, spending.refill)) break;
        const standing = creditsAt(current, spending.at);
        if (standing.remaining < spending.cost) return { credits: standing, spent: false };
      }
      return db.transaction((tx) => keys.spendCreditsLocked(tx, id, spending));
    },
    findKeyCredits: (id) => keys.findKeyCredits(db, id),
    takeRateLimits: (takes, at) => takeRateLimits(db, takes, at),

    async recordKeyUsage(usage) {
      if (usage.length === 0) return;
      await keys.recordKeyUsage(db, usage);
    },

    importKeys: async (batch, events, quota) => {
      try {
        return await refusable<ApiKey[], ImportRefusal>(() =>
          db.transaction((tx) => importKeys(tx, batch, events, quota)),
        );
      } catch (error) {
        if (isUniqueViolation(error)) return 'duplicate_secret';
        throw error;
      }
    },
    holdsImportedKeys: async () => (await settings.findSetting(db, IMPORTED_KEYS_SETTING)) !== null,
    rehashKey: (id, rehash) => keys.rehashKey(db, id, rehash),

    insertRole: (role, event) =>
      refusable(() =>
        db.transaction(async (tx) => {
          const inserted = await roles.insertRole(tx, role);
          if (!inserted) throw new Refused(null);
          await audit.insertAuditEvent(tx, event);
          return inserted;
        }),
      ),
    findRole: (organizationId, idOrName) => roles.findRole(db, organizationId, idOrName),
    findRolesByName: (organizationId, names) => roles.findRolesByName(db, organizationId, names),
    listRoles: (organizationId, query = {}) => roles.listRoles(db, organizationId, query),
    updateRole: (organizationId, id, decide) =>
      refusable(() =>
        db.transaction(async (tx) =>
          changeLocked(tx, await roles.findRole(tx, organizationId, id, true), decide, async (change) => {
            if (change.name !== undefined && (await roles.nameTaken(tx, organizationId, change.name, id))) {
              throw new Refused('duplicate_name' as const);
            }
            return roles.changeRole(tx, organizationId, id, change);
          }),
        ),
      ),
    deleteRole: (organizationId, id, event) =>
      db.transaction(async (tx) => {
        const deleted = await roles.deleteRole(tx, organizationId, id);
        if (deleted) await audit.insertAuditEvent(tx, event);
        return deleted;
      }),

    insertIdentity: (identity, event) =>
      refusable(() =>
        db.transaction(async (tx) => {
          const inserted = await identities.insertIdentity(tx, identity);
          if (!inserted) throw new Refused(null);
          await audit.insertAuditEvent(tx, event);
          return inserted;
        }),
      ),
    findIdentity: (organizationId, idOrExternalId) => identities.findIdentity(db, organizationId, idOrExternalId),
    listIdentities: (organizationId, query = {}) => identities.listIdentities(db, organizationId, query),
    updateIdentity: (organizationId, id, decide) =>
      refusable(() =>
        db.transaction(async (tx) =>
          changeLocked(tx, await identities.findIdentity(tx, organizationId, id, true), decide, async (change) => {
            if (
              change.externalId !== undefined &&
              (await identities.externalIdTaken(tx, organizationId, change.externalId, id))
            ) {
              throw new Refused('duplicate_external_id' as const);
            }
            return identities.changeIdentity(tx, organizationId, id, change);
          }),
        ),
      ),
    deleteIdentity: (organizationId, id, removal) =>
      refusable(() =>
        db.transaction(async (tx) => {
          const identity = await identities.findIdentity(tx, organizationId, id, true);
          if (!identity) return null;
          const keyIds = await identities.keysOf(tx, organizationId, identity.id);
          if (keyIds.length > 0 && !removal.deleteKeys) throw new Refused('has_keys' as const);
          for (const keyId of keyIds) {
            await countedKeys.deleteCountedKey(tx, organizationId, keyId, undefined, removal.keyAudit(keyId));
          }
          await identities.deleteIdentity(tx, organizationId, identity.id);
          await audit.insertAuditEvent(tx, removal.audit);
          return { identity, deletedKeyIds: keyIds };
        }),
      ),

    insertApplication: (application, event) =>
      db.transaction(async (tx) => {
        const inserted = await applications.insertApplication(tx, application);
        await audit.insertAuditEvent(tx, event);
        return inserted;
      }),

    findApplication: (organizationId, id) => applications.findApplication(db, organizationId, id),
    findDefaultApplication: (organizationId) => applications.findDefaultApplication(db, organizationId),
    listApplications: (organizationId, query = {}) => applications.listApplications(db, organizationId, query),

    insertOrganization: (organization, application, adminKey, events) =>
      db.transaction(async (tx) => {
        // Born with one key: its admin key.
        await organizations.insertOrganization(tx, organization);
        await applications.insertApplication(tx, application);
        await keys.insertKey(tx, adminKey);
        for (const event of events) await audit.insertAuditEvent(tx, event);
      }),

    ensureDefaultOrganization: (now) =>
      db.transaction(async (tx) => {
        const id = await settings.putSettingIfAbsent(tx, DEFAULT_ORGANIZATION_SETTING, randomUUID());
        await organizations.insertOrganizationIfAbsent(tx, { id, name: 'Default organization', createdAt: now });
        await applications.insertApplicationIfAbsent(tx, {
          id: randomUUID(),
          organizationId: id,
          name: 'Default application',
          description: 'Created with the organization.',
          isDefault: true,
          createdAt: now,
        });
        const organization = await organizations.findOrganization(tx, id);
        return organization as NonNullable<typeof organization>;
      }),

    listAuditEvents: (organizationId, query) => audit.listAuditEvents(db, organizationId, query),
    putSettingIfAbsent: (name, value) => settings.putSettingIfAbsent(db, name, value),

    async ping() {
      await db.query('select 1');
    },

    close: () => db.close(),
  };
}

/** Whether two refills are the same: a spending relies on the one its caller read only while it is. */
const sameRefill = (stored: CreditRefill | null, read: CreditRefill | null) =>
  stored === null || read === null
    ? stored === read
    : stored.interval === read.interval && stored.amount === read.amount && stored.refillDay === read.refillDay;

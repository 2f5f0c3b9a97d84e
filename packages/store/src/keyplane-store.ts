import { randomUUID } from 'node:crypto';
import { type ApiKey, type Err, isErr, type KeyDecision, type KeyplaneStore } from '@keyplane/core';
import type { SqlDatabase, SqlExecutor } from './sql.js';
import * as keys from './tables/api-keys.js';
import * as applications from './tables/applications.js';
import * as audit from './tables/audit-events.js';
import * as countedKeys from './tables/counted-key-writes.js';
import * as organizations from './tables/organizations.js';
import * as settings from './tables/settings.js';

const DEFAULT_ORGANIZATION_SETTING = 'default_organization_id';

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
    insertKey: (key, event, quota) => db.transaction((tx) => countedKeys.insertKeyWithinQuota(tx, key, event, quota)),

    findKeyById: (organizationId, id) => keys.findKeyById(db, organizationId, id),
    findKeyBySecretHash: (secretHash) => keys.findKeyBySecretHash(db, secretHash),
    listKeys: (organizationId, query = { order: 'asc' }) => keys.listKeys(db, organizationId, query),
    countKeys: (organizationId, applicationId) => keys.countKeys(db, organizationId, applicationId),

    updateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (tx, change) => keys.changeKey(tx, organizationId, id, change)),

    rotateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (tx, rotation) => keys.rotateKey(tx, organizationId, id, rotation)),

    deleteKey: (organizationId, id, applicationId, event) =>
      db.transaction((tx) => countedKeys.deleteCountedKey(tx, organizationId, id, applicationId, event)),

    async recordKeyUsage(usage) {
      if (usage.length === 0) return;
      await keys.recordKeyUsage(db, usage);
    },

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

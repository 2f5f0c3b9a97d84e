import type { ApiKey, AuditEvent, NewKey } from '@keyplane/core';
import { type ExpressionBuilder, sql } from 'kysely';
import { builder, first, jsonb } from '../query.js';
import type { SqlExecutor } from '../sql.js';
import { grantsOf, KEY_COLUMNS, type KeyRow, storedCredits, toKey } from './api-keys.js';
import { AUDIT_COLUMNS } from './audit-events.js';

/*
 * A key's insert and its delete, each one statement: the organization's key count, the key
 * and the audit event change together, in one round trip. Each part is written only when
 * the one before it took effect: no key beyond the quota, no event for a key already gone.
 */

/** A parameter of a stated type: in a select list PostgreSQL cannot infer it from a column. */
const typed = <T>(value: T, type: 'uuid' | 'text' | 'boolean' | 'timestamptz' | 'jsonb') =>
  sql<T>`${value}::${sql.raw(type)}`;

// biome-ignore lint/suspicious/noExplicitAny: the audit row is selected from whichever change's rows came back
const auditValues = (eb: ExpressionBuilder<any, any>, event: AuditEvent) => [
  typed(event.id, 'uuid').as('id'),
  typed(event.organizationId, 'uuid').as('organization_id'),
  typed(event.occurredAt, 'timestamptz').as('occurred_at'),
  typed(event.action, 'text').as('action'),
  typed(event.actorKeyId, 'uuid').as('actor_key_id'),
  typed(event.targetId, 'uuid').as('target_id'),
  typed(event.requestId, 'text').as('request_id'),
  eb.val(jsonb(event.details)).as('details'),
];

/**
 * Counts one more key, inserts it and its audit event, unless the organization holds
 * `quota` keys already: null then, and nothing is written. The count's update takes the
 * organization's row lock, so concurrent creates in one organization cannot pass the quota.
 */
export async function insertKeyWithinQuota(
  tx: SqlExecutor,
  key: NewKey,
  identityId: string | null,
  event: AuditEvent,
  quota: number,
): Promise<ApiKey | null> {
  const row = await first(
    tx,
    builder
      .with('counted', (db) =>
        db
          .updateTable('organizations')
          .set((eb) => ({ key_count: eb('key_count', '+', 1) }))
          .where('id', '=', key.organizationId)
          .where('key_count', '<', quota)
          .returning('id'),
      )
      .with('inserted', (db) =>
        db
          .insertInto('api_keys')
          .columns([
            'id',
            'organization_id',
            'application_id',
            'name',
            'status',
            'secret_hash',
            'hint',
            'last_four',
            'restricted',
            'grants',
            'created_by',
            'created_at',
            'updated_at',
            'expires_at',
            'meta',
            'ip_allowlist',
            'identity_id',
            'credits',
            'ratelimits',
          ])
          .expression((eb) =>
            eb
              .selectFrom('counted')
              .select([
                typed(key.id, 'uuid').as('id'),
                typed(key.organizationId, 'uuid').as('organization_id'),
                typed(key.applicationId, 'uuid').as('application_id'),
                typed(key.name, 'text').as('name'),
                typed(key.status, 'text').as('status'),
                typed(key.secretHash, 'text').as('secret_hash'),
                typed(key.hint, 'text').as('hint'),
                typed(key.lastFour, 'text').as('last_four'),
                typed(key.access.restricted, 'boolean').as('restricted'),
                eb.val(grantsOf(key.access)).as('grants'),
                typed(key.createdBy, 'uuid').as('created_by'),
                typed(key.createdAt, 'timestamptz').as('created_at'),
                typed(key.createdAt, 'timestamptz').as('updated_at'),
                typed(key.expiresAt, 'timestamptz').as('expires_at'),
                typed(key.meta === null ? null : JSON.stringify(key.meta), 'jsonb').as('meta'),
                typed(key.ipAllowlist === null ? null : JSON.stringify(key.ipAllowlist), 'jsonb').as('ip_allowlist'),
                typed(identityId, 'uuid').as('identity_id'),
                typed(key.credits === null ? null : JSON.stringify(storedCredits(key.credits)), 'jsonb').as('credits'),
                typed(JSON.stringify(key.ratelimits), 'jsonb').as('ratelimits'),
              ]),
          )
          .returning(KEY_COLUMNS),
      )
      .with('audited', (db) =>
        db
          .insertInto('audit_events')
          .columns(AUDIT_COLUMNS)
          .expression((eb) => eb.selectFrom('inserted').select(auditValues(eb, event))),
      )
      .selectFrom('inserted')
      .select(KEY_COLUMNS),
  );
  return row ? toKey(row as KeyRow) : null;
}

/**
 * Deletes the key (of `applicationId`, when given), counts one key less and records the
 * event; true when this call removed it. A key already gone changes nothing.
 */
export async function deleteCountedKey(
  tx: SqlExecutor,
  organizationId: string,
  id: string,
  applicationId: string | undefined,
  event: AuditEvent,
): Promise<boolean> {
  const row = await first(
    tx,
    builder
      .with('removed', (db) => {
        const remove = db
          .deleteFrom('api_keys')
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .returning('organization_id');
        return applicationId === undefined ? remove : remove.where('application_id', '=', applicationId);
      })
      .with('counted', (db) =>
        db
          .updateTable('organizations')
          .set((eb) => ({ key_count: eb('key_count', '-', 1) }))
          .where('id', 'in', (eb) => eb.selectFrom('removed').select('organization_id')),
      )
      .with('audited', (db) =>
        db
          .insertInto('audit_events')
          .columns(AUDIT_COLUMNS)
          .expression((eb) => eb.selectFrom('removed').select(auditValues(eb, event))),
      )
      .selectFrom('removed')
      .select('organization_id'),
  );
  return row !== undefined;
}

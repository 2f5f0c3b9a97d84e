import type { AuditEvent, AuditQuery } from '@keyplane/core';
import { builder, jsonb, run } from '../query.js';
import type { SqlExecutor } from '../sql.js';

const toAuditEvent = (row: {
  id: string;
  organization_id: string;
  occurred_at: Date;
  action: AuditEvent['action'];
  actor_key_id: string | null;
  target_id: string;
  request_id: string;
  details: Readonly<Record<string, unknown>>;
  sequence: string;
}): AuditEvent => ({
  id: row.id,
  organizationId: row.organization_id,
  occurredAt: row.occurred_at,
  action: row.action,
  actorKeyId: row.actor_key_id,
  targetId: row.target_id,
  requestId: row.request_id,
  details: row.details,
  sequence: row.sequence,
});

/** The columns of an event as written; reads add its sequence number. */
export const AUDIT_COLUMNS = [
  'id',
  'organization_id',
  'occurred_at',
  'action',
  'actor_key_id',
  'target_id',
  'request_id',
  'details',
] as const;

export async function insertAuditEvent(tx: SqlExecutor, event: AuditEvent): Promise<void> {
  await run(
    tx,
    builder.insertInto('audit_events').values({
      id: event.id,
      organization_id: event.organizationId,
      occurred_at: event.occurredAt,
      action: event.action,
      actor_key_id: event.actorKeyId,
      target_id: event.targetId,
      request_id: event.requestId,
      details: jsonb(event.details),
    }),
  );
}

/** An organization's events, newest first, strictly before a sequence number when given. */
export async function listAuditEvents(
  executor: SqlExecutor,
  organizationId: string,
  query: AuditQuery,
): Promise<AuditEvent[]> {
  const rows = await run(
    executor,
    builder
      .selectFrom('audit_events')
      .select([...AUDIT_COLUMNS, (eb) => eb.cast<string>('audit_events.sequence', 'text').as('sequence')])
      .where('organization_id', '=', organizationId)
      .$if(query.beforeSequence !== undefined, (select) =>
        select.where('audit_events.sequence', '<', query.beforeSequence as string),
      )
      // Qualified: bare, `sequence` would name the text selected above, ordering 99 after 117.
      .orderBy('audit_events.sequence', 'desc')
      .limit(query.limit),
  );
  return rows.map(toAuditEvent);
}

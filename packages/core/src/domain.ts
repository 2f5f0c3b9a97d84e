import { randomUUID } from 'node:crypto';
import type { CursorSealer } from './cursors.js';
import type { SecretDigest } from './key-format.js';
import type { AuditAction, AuditEvent, Principal } from './model.js';
import { allows, type KeyplaneAction, type KeyplaneResource } from './permissions.js';
import type { KeyplaneStore } from './ports.js';
import { type Err, fail } from './result.js';
import type { KeyUsage } from './usage.js';

/** What every part of the domain works with: the store, the clock, and the server's secrets. */
export interface DomainContext {
  readonly store: KeyplaneStore;
  readonly now: () => Date;
  /** How secrets become stored digests. */
  readonly digest: SecretDigest;
  /** Last-use times, kept in memory and written in batches. */
  readonly usage: KeyUsage;
  readonly cursors: CursorSealer;
}

/**
 * Ids are uuids in lower case. The HTTP edge puts every id it receives in this form, so
 * that one key has one id wherever it is compared or cached; any other string names nothing.
 */
const CANONICAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isCanonicalId = (value: string): boolean => CANONICAL_ID.test(value);

export const notFound = (what = 'API key'): Err => fail('not_found', `No ${what} with that id.`);
export const escalation = (): Err => fail('forbidden', 'A key cannot grant permissions its creator does not hold.');

/** Refuses a principal without the permission, or null when it has it. */
export function requirePermission<R extends KeyplaneResource>(
  principal: Principal,
  resource: R,
  action: KeyplaneAction<R>,
  target?: string,
): Err | null {
  return allows(principal.access, resource, action, target)
    ? null
    : fail('forbidden', `This key lacks the ${resource}.${action} permission.`);
}

/** The audit event of a change made by `principal` now. */
export function auditEvent(
  context: DomainContext,
  principal: Principal,
  action: AuditAction,
  targetId: string,
  details: Record<string, unknown>,
): AuditEvent {
  return {
    id: randomUUID(),
    organizationId: principal.organizationId,
    occurredAt: context.now(),
    action,
    actorKeyId: principal.keyId,
    targetId,
    requestId: principal.requestId,
    details,
  };
}

import { randomUUID } from 'node:crypto';
import { auditEvent, type DomainContext, escalation, isCanonicalId, notFound, requirePermission } from './domain.js';
import { describeSecret, generateSecret } from './key-format.js';
import type { ApiKey, Application, AuditAction, KeyMeta, KeyStatus, Principal } from './model.js';
import { badCursor, cursorAfter, invalidPagination, type Position, positionOf } from './pagination.js';
import { type Access, covers } from './permissions.js';
import type { KeyChanges, KeyOrder } from './ports.js';
import { type Err, fail, isErr, ok, type Result } from './result.js';

export interface NewKeyRequest {
  readonly name: string;
  readonly meta?: KeyMeta | null;
  readonly ipAllowlist?: readonly string[] | null;
  readonly status?: KeyStatus;
  readonly access: Access;
  readonly applicationId?: string;
  readonly expiresAt?: Date | null;
}

export interface KeyUpdate {
  readonly name?: string;
  readonly meta?: KeyMeta | null;
  readonly ipAllowlist?: readonly string[] | null;
  readonly status?: KeyStatus;
  /** The new access, or how to derive it from the key's current access (or why it cannot be). */
  readonly access?: Access | ((current: Access) => Access | Err);
  readonly expiresAt?: Date | null;
}

export interface CreatedKey {
  readonly key: ApiKey;
  /** Shown once, at creation; only its digest is stored. */
  readonly secret: string;
}

export interface KeyPageRequest {
  readonly applicationId?: string;
  readonly order: KeyOrder;
  readonly limit: number;
  /** Key ids to page after or before (not both), a cursor this API returned, or a 1-based page number. */
  readonly after?: string;
  readonly before?: string;
  readonly cursor?: string;
  readonly page?: number;
  readonly offset?: number;
  /** Count every key as well: a full scan of the organization's keys, so only when asked. */
  readonly withTotal?: boolean;
}

export interface KeyPage {
  readonly keys: ApiKey[];
  readonly hasMore: boolean;
  /** Where the next page starts, sealed: present when there are more keys after this page. */
  readonly nextCursor: string | null;
  /** Present when asked for with `withTotal`. */
  readonly total?: number;
}

/** What a change may add to a key's access: a change may only add what its author holds. */
function addedAccess(current: Access, next: Access): Access {
  if (!next.restricted) return current.restricted ? next : { restricted: true, grants: [] };
  if (!current.restricted) return { restricted: true, grants: [] };
  const added = next.grants.filter((wanted) => !covers(current, { restricted: true, grants: [wanted] }));
  return { restricted: true, grants: added };
}

/**
 * Whether a change brings a key back to life: enables a disabled key, or moves its expiry
 * later or away. That grants its access again, so it asks what creating the key would.
 */
function revives(
  current: ApiKey,
  update: { status?: KeyStatus; expiresAt?: Date | null; ipAllowlist?: readonly string[] | null },
): boolean {
  const enables = update.status === 'enabled' && current.status === 'disabled';
  const extendsExpiry =
    update.expiresAt !== undefined &&
    current.expiresAt !== null &&
    (update.expiresAt === null || update.expiresAt.getTime() > current.expiresAt.getTime());
  // A list that lets in an address the current one does not (or no list at all) gives power back too.
  const widens =
    update.ipAllowlist !== undefined &&
    current.ipAllowlist !== null &&
    (update.ipAllowlist === null || update.ipAllowlist.some((entry) => !current.ipAllowlist?.includes(entry)));
  return enables || extendsExpiry || widens;
}

/** A key's life: created, listed, read, changed, rotated and deleted, each change audited. */
export class Keys {
  readonly #context: DomainContext;
  readonly #maxKeys: number;

  constructor(context: DomainContext, maxKeysPerOrganization: number) {
    this.#context = context;
    this.#maxKeys = maxKeysPerOrganization;
  }

  async createKey(principal: Principal, request: NewKeyRequest): Promise<Result<CreatedKey>> {
    const denied = requirePermission(principal, 'api_keys', 'create');
    if (denied) return denied;
    if (!covers(principal.access, request.access)) return escalation();
    const application = request.applicationId
      ? await this.#findApplication(principal, request.applicationId)
      : await this.#context.store.findDefaultApplication(principal.organizationId);
    if (!application) return notFound('application');

    const secret = generateSecret();
    const now = this.#context.now();
    const id = randomUUID();
    const key = await this.#context.store.insertKey(
      {
        id,
        organizationId: principal.organizationId,
        applicationId: application.id,
        name: request.name,
        status: request.status ?? 'enabled',
        access: request.access,
        secretHash: this.#context.digest(secret),
        ...describeSecret(secret),
        createdBy: principal.keyId,
        createdAt: now,
        expiresAt: request.expiresAt ?? null,
        meta: request.meta ?? null,
        ipAllowlist: request.ipAllowlist ?? null,
      },
      auditEvent(this.#context, principal, 'api_key.created', id, {
        name: request.name,
        applicationId: application.id,
      }),
      this.#maxKeys,
    );
    if (!key) {
      return fail('quota_exceeded', `The organization already holds its quota of ${this.#maxKeys} keys.`);
    }
    return ok({ key, secret });
  }

  /**
   * One page of keys: after or before a key (keyset pagination), after a cursor this API
   * returned, by page number or by offset.
   */
  async listKeyPage(principal: Principal, request: KeyPageRequest): Promise<Result<KeyPage>> {
    const denied = requirePermission(principal, 'api_keys', 'read');
    if (denied) return denied;
    if (request.after !== undefined && request.before !== undefined) {
      return invalidPagination('both_cursors', 'Give a cursor to page after or before, not both.');
    }
    if (request.applicationId !== undefined && !(await this.#findApplication(principal, request.applicationId))) {
      return notFound('application');
    }
    const list = `keys:${request.applicationId ?? '*'}`;
    let after: Position | undefined;
    let before: Position | undefined;
    if (request.cursor !== undefined) {
      const position = positionOf(this.#context.cursors, principal.organizationId, list, request.cursor);
      if (!position) return badCursor();
      after = position;
    }
    const cursorId = request.after ?? request.before;
    if (cursorId !== undefined) {
      const key = isCanonicalId(cursorId)
        ? await this.#context.store.findKeyById(principal.organizationId, cursorId)
        : null;
      if (!key) return invalidPagination('unknown_cursor', `No API key ${cursorId} to page from.`);
      if (request.after !== undefined) after = key;
      else before = key;
    }
    const offset = request.page !== undefined ? (request.page - 1) * request.limit : request.offset;
    const [keys, total] = await Promise.all([
      this.#context.store.listKeys(principal.organizationId, {
        order: request.order,
        limit: request.limit + 1,
        ...(request.applicationId === undefined ? {} : { applicationId: request.applicationId }),
        ...(after ? { after: { createdAt: after.createdAt, id: after.id } } : {}),
        ...(before ? { before: { createdAt: before.createdAt, id: before.id } } : {}),
        ...(offset === undefined ? {} : { offset }),
      }),
      request.withTotal ? this.#context.store.countKeys(principal.organizationId, request.applicationId) : undefined,
    ]);
    // One key more than the page was read to learn whether there are more; paging
    // before a cursor, that extra key is the farthest one, first in the list.
    const page = before ? keys.slice(-request.limit) : keys.slice(0, request.limit);
    const hasMore = keys.length > request.limit;
    const last = page.at(-1);
    return ok({
      keys: page.map((key) => this.#context.usage.overlay(key)),
      hasMore,
      nextCursor:
        hasMore && last && !before ? cursorAfter(this.#context.cursors, principal.organizationId, list, last) : null,
      ...(total === undefined ? {} : { total }),
    });
  }

  async getKey(principal: Principal, id: string, applicationId?: string): Promise<Result<ApiKey>> {
    const denied = requirePermission(principal, 'api_keys', 'read', id);
    if (denied) return denied;
    const key = await this.#findKey(principal, id, applicationId);
    return key ? ok(this.#context.usage.overlay(key)) : notFound();
  }

  /**
   * Changes a key atomically: the checks below see the key as it is while the store holds
   * it, so concurrent edits never lose one another. Taking power away needs
   * `api_keys.update`; bringing the key back to life needs what creating it would.
   */
  async updateKey(principal: Principal, id: string, update: KeyUpdate): Promise<Result<ApiKey>> {
    const denied = requirePermission(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
    const changed = Object.keys(update).filter((field) => update[field as keyof KeyUpdate] !== undefined);
    const now = this.#context.now();
    const updated = await this.#context.store.updateKey(principal.organizationId, id, (current) => {
      const access = typeof update.access === 'function' ? update.access(current.access) : update.access;
      if (isErr(access)) return access;
      if (access && !covers(principal.access, addedAccess(current.access, access))) return escalation();
      if (revives(current, update)) {
        const refused = requirePermission(principal, 'api_keys', 'create', id);
        if (refused) {
          return fail(
            'forbidden',
            'Re-enabling a key, extending its expiry or widening its allowlist needs api_keys.create.',
          );
        }
        if (!covers(principal.access, access ?? current.access)) return escalation();
      }
      const statusChanged = update.status !== undefined && update.status !== current.status;
      const action: AuditAction = statusChanged
        ? update.status === 'disabled'
          ? 'api_key.disabled'
          : 'api_key.enabled'
        : 'api_key.updated';
      const change: KeyChanges = {
        ...(update.name === undefined ? {} : { name: update.name }),
        ...(update.meta === undefined ? {} : { meta: update.meta }),
        ...(update.ipAllowlist === undefined ? {} : { ipAllowlist: update.ipAllowlist }),
        ...(update.status === undefined ? {} : { status: update.status }),
        ...(access === undefined ? {} : { access }),
        ...(update.expiresAt === undefined ? {} : { expiresAt: update.expiresAt }),
        updatedAt: now,
      };
      return { change, audit: auditEvent(this.#context, principal, action, id, { fields: changed }) };
    });
    if (updated === null) return notFound();
    return isErr(updated) ? updated : ok(this.#context.usage.overlay(updated));
  }

  /**
   * Gives the key a new secret. The old one keeps working for `graceSeconds` (0: it
   * stops at once), so clients can roll over without downtime.
   */
  async rotateKey(
    principal: Principal,
    id: string,
    graceSeconds: number,
  ): Promise<Result<CreatedKey & { previousSecretExpiresAt: Date | null }>> {
    const denied = requirePermission(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
    const secret = generateSecret();
    const now = this.#context.now();
    const previousSecretExpiresAt = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    const rotated = await this.#context.store.rotateKey(principal.organizationId, id, (current) => {
      // The new secret is handed to the caller: it must already hold all the key can do.
      if (!covers(principal.access, current.access)) return escalation();
      return {
        change: {
          secretHash: this.#context.digest(secret),
          ...describeSecret(secret),
          previousSecretExpiresAt,
          rotatedAt: now,
        },
        audit: auditEvent(this.#context, principal, 'api_key.rotated', id, {
          gracePeriodSeconds: graceSeconds,
          previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null,
        }),
      };
    });
    if (rotated === null) return notFound();
    return isErr(rotated) ? rotated : ok({ key: rotated, secret, previousSecretExpiresAt });
  }

  /** Deletes the key for good. Only one of several concurrent deletes succeeds. */
  async deleteKey(principal: Principal, id: string, applicationId?: string): Promise<Result<void>> {
    const denied = requirePermission(principal, 'api_keys', 'delete', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
    const deleted = await this.#context.store.deleteKey(
      principal.organizationId,
      id,
      applicationId,
      auditEvent(this.#context, principal, 'api_key.deleted', id, applicationId === undefined ? {} : { applicationId }),
    );
    return deleted ? ok(undefined) : notFound();
  }

  async #findKey(principal: Principal, id: string, applicationId?: string): Promise<ApiKey | null> {
    if (!isCanonicalId(id)) return null;
    const key = await this.#context.store.findKeyById(principal.organizationId, id);
    if (!key || (applicationId !== undefined && key.applicationId !== applicationId)) return null;
    return key;
  }

  async #findApplication(principal: Principal, id: string): Promise<Application | null> {
    return isCanonicalId(id) ? this.#context.store.findApplication(principal.organizationId, id) : null;
  }
}

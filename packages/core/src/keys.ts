import { randomUUID } from 'node:crypto';
import { type CreditOperation, changeCredits, liftsCredits, withCreditsAt, withStoredCredits } from './credits.js';
import { auditEvent, type DomainContext, escalation, isCanonicalId, notFound, requirePermission } from './domain.js';
import { describeSecret, generateSecret, importedDigest } from './key-format.js';
import type {
  ApiKey,
  Application,
  AuditAction,
  CreditRefill,
  KeyCredits,
  KeyMeta,
  KeyRole,
  KeyStatus,
  NamedRateLimit,
  Principal,
  Role,
} from './model.js';
import { loosensLimits } from './named-limits.js';
import { badCursor, cursorAfter, invalidPagination, type Position, positionOf } from './pagination.js';
import { type Access, covers } from './permissions.js';
import type { KeyChanges, KeyOrder, NewKey } from './ports.js';
import { type Err, fail, isErr, ok, type Result } from './result.js';
import { accessWithRoles, keyAccess } from './verifiable-key.js';

/** Credits to give a key: so many now, and how they come back; none come back without a refill. */
export interface CreditsRequest {
  readonly remaining: number;
  readonly refill: CreditRefill | null;
}

export interface NewKeyRequest {
  readonly name: string;
  /** What verifications may spend; null or absent: unlimited. */
  readonly credits?: CreditsRequest | null;
  readonly ratelimits?: readonly NamedRateLimit[];
  /** The roles the key holds, by name. */
  readonly roles?: readonly string[];
  /** The platform's id of the customer the key belongs to; its identity is created when new. */
  readonly externalId?: string | null;
  /** Written before `_` at the start of the secret, in place of `kp`. */
  readonly prefix?: string;
  readonly meta?: KeyMeta | null;
  readonly ipAllowlist?: readonly string[] | null;
  readonly status?: KeyStatus;
  readonly access: Access;
  readonly applicationId?: string;
  readonly expiresAt?: Date | null;
}

/** A key of another system: the SHA-256 it kept of the secret (hex), and the key as it is to be here. */
export interface ImportedKeyRequest extends Omit<NewKeyRequest, 'prefix'> {
  readonly sha256: string;
}

export interface KeyUpdate {
  readonly name?: string;
  /** The key's credits from now on, counted from now; null: unlimited. */
  readonly credits?: CreditsRequest | null;
  /** In place of those it has. */
  readonly ratelimits?: readonly NamedRateLimit[];
  /** The roles the key holds from now on, by name, in place of those it holds. */
  readonly roles?: readonly string[];
  readonly externalId?: string | null;
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
  /** Only the keys of the identity of this external id. */
  readonly externalId?: string;
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
  update: Pick<KeyUpdate, 'status' | 'expiresAt' | 'ipAllowlist' | 'credits' | 'ratelimits'>,
  at: Date,
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
  // So does letting it be verified more: more credits, or looser limits.
  const meters =
    (update.credits !== undefined && liftsCredits(current.credits, update.credits, at)) ||
    (update.ratelimits !== undefined && loosensLimits(current.ratelimits, update.ratelimits));
  return enables || extendsExpiry || widens || meters;
}

/** The access a key would have with this access of its own and these roles. */
const accessWith = (access: Access, roles: readonly KeyRole[]): Access => accessWithRoles({ access, roles });

const roleNotFound = (name: string) => fail('not_found', `No role named ${name}.`);

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
    const prepared = await this.#prepare(principal, [request]);
    if (!prepared.ok) return prepared;
    const [application] = prepared.value.applications;
    const secret = generateSecret(request.prefix);
    const id = randomUUID();
    const key = await this.#context.store.insertKey(
      this.#newKey(principal, request, {
        id,
        applicationId: application?.id as string,
        secretHash: this.#context.digest(secret),
        ...describeSecret(secret),
        roleIds: prepared.value.roleIds[0] ?? [],
      }),
      auditEvent(this.#context, principal, 'api_key.created', id, {
        name: request.name,
        applicationId: application?.id,
        ...(request.externalId ? { externalId: request.externalId } : {}),
      }),
      this.#maxKeys,
    );
    if (!key) return this.#overQuota();
    return ok({ key, secret });
  }

  /**
   * Keys of another system, all or none: each is stored under the SHA-256 that system kept of its
   * secret, verifies with the original secret from then on, and is rehashed at its first use.
   */
  async importKeys(principal: Principal, requests: readonly ImportedKeyRequest[]): Promise<Result<string[]>> {
    const denied = requirePermission(principal, 'api_keys', 'create');
    if (denied) return denied;
    const prepared = await this.#prepare(principal, requests);
    if (!prepared.ok) return prepared;
    const batch = requests.map((request, index) =>
      this.#newKey(principal, request, {
        id: randomUUID(),
        applicationId: prepared.value.applications[index]?.id as string,
        secretHash: importedDigest(request.sha256),
        // Nothing of the secret is known until it is first used.
        hint: '',
        lastFour: '',
        roleIds: prepared.value.roleIds[index] ?? [],
      }),
    );
    const imported = await this.#context.store.importKeys(
      batch,
      batch.map((key) =>
        auditEvent(this.#context, principal, 'api_key.imported', key.id, {
          name: key.name,
          applicationId: key.applicationId,
        }),
      ),
      this.#maxKeys,
    );
    if (imported === 'quota_exceeded') return this.#overQuota();
    if (imported === 'duplicate_secret') {
      return fail('conflict', 'A key with one of these secrets is stored already; nothing was imported.');
    }
    return ok(batch.map(({ id }) => id));
  }

  /** The applications and roles keys to create name, and whether the principal may hand out what they give. */
  async #prepare(
    principal: Principal,
    requests: readonly (NewKeyRequest | ImportedKeyRequest)[],
  ): Promise<Result<{ applications: Application[]; roleIds: string[][] }>> {
    const roles = await this.#rolesNamed(principal, [...new Set(requests.flatMap((request) => request.roles ?? []))]);
    if (!roles.ok) return roles;
    const byName = new Map(roles.value.map((role) => [role.name, role]));
    const applications = new Map<string, Application | null>();
    const found: Application[] = [];
    const roleIds: string[][] = [];
    for (const request of requests) {
      const held = (request.roles ?? []).map((name) => byName.get(name) as Role);
      if (!covers(principal.access, accessWith(request.access, held))) return escalation();
      const wanted = request.applicationId ?? '';
      if (!applications.has(wanted)) {
        applications.set(
          wanted,
          request.applicationId
            ? await this.#findApplication(principal, request.applicationId)
            : await this.#context.store.findDefaultApplication(principal.organizationId),
        );
      }
      const application = applications.get(wanted);
      if (!application) return notFound('application');
      found.push(application);
      roleIds.push(held.map((role) => role.id));
    }
    return ok({ applications: found, roleIds });
  }

  #newKey(
    principal: Principal,
    request: NewKeyRequest | ImportedKeyRequest,
    stored: Pick<NewKey, 'id' | 'applicationId' | 'secretHash' | 'hint' | 'lastFour' | 'roleIds'>,
  ): NewKey {
    return {
      ...stored,
      organizationId: principal.organizationId,
      name: request.name,
      status: request.status ?? 'enabled',
      access: request.access,
      createdBy: principal.keyId,
      createdAt: this.#context.now(),
      expiresAt: request.expiresAt ?? null,
      meta: request.meta ?? null,
      ipAllowlist: request.ipAllowlist ?? null,
      externalId: request.externalId ?? null,
      credits: 'credits' in request ? creditsFrom(request.credits, this.#context.now()) : null,
      ratelimits: request.ratelimits ?? [],
    };
  }

  #overQuota(): Result<never> {
    return fail('quota_exceeded', `The organization already holds its quota of ${this.#maxKeys} keys.`);
  }

  /** The organization's roles of these names; not found names the first that is missing. */
  async #rolesNamed(principal: Principal, names: readonly string[]): Promise<Result<Role[]>> {
    if (names.length === 0) return ok([]);
    const roles = await this.#context.store.findRolesByName(principal.organizationId, names);
    const missing = names.find((name) => !roles.some((role) => role.name === name));
    return missing === undefined ? ok(roles) : roleNotFound(missing);
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
    let identityId: string | undefined;
    if (request.externalId !== undefined) {
      const identity = await this.#context.store.findIdentity(principal.organizationId, request.externalId);
      // No such customer has no keys.
      if (!identity || identity.externalId !== request.externalId)
        return ok({ keys: [], hasMore: false, nextCursor: null });
      identityId = identity.id;
    }
    const list = `keys:${request.applicationId ?? '*'}${identityId === undefined ? '' : `:${identityId}`}`;
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
        ...(identityId === undefined ? {} : { identityId }),
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
      keys: page.map((key) => this.#shown(key)),
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
    if (!key) return notFound();
    const { store, usage, now } = this.#context;
    return ok(usage.overlay(await withStoredCredits(store, key, now())));
  }

  /**
   * Sets, adds to or takes from a key's credits, on the credits as stored (refilled first when a
   * period began), while no verification can spend from them; answers the key as it now is.
   */
  async changeKeyCredits(
    principal: Principal,
    id: string,
    operation: CreditOperation,
    value: number,
  ): Promise<Result<ApiKey>> {
    const denied = requirePermission(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
    const now = this.#context.now();
    const updated = await this.#context.store.updateKey(principal.organizationId, id, (current) => {
      const changed = changeCredits(current.credits, operation, value, now);
      if (!changed.ok) return fail('conflict', changed.message);
      if (liftsCredits(current.credits, changed.credits, now)) {
        const refused = requirePermission(principal, 'api_keys', 'create', id);
        if (refused) return fail('forbidden', 'Raising a key’s credits needs api_keys.create.');
      }
      return {
        change: { credits: changed.credits, updatedAt: now },
        audit: auditEvent(this.#context, principal, 'api_key.updated', id, {
          fields: ['credits'],
          credits: { operation, value, remaining: changed.credits.remaining },
        }),
      };
    });
    if (updated === null) return notFound();
    return isErr(updated) ? updated : ok(this.#shown(updated));
  }

  /** A key as shown: with this instance's latest use, and its credits as they stand now. */
  #shown(key: ApiKey): ApiKey {
    return withCreditsAt(this.#context.usage.overlay(key), this.#context.now());
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
    const roles = update.roles === undefined ? undefined : await this.#rolesNamed(principal, update.roles);
    if (roles && !roles.ok) return roles;
    const updated = await this.#context.store.updateKey(principal.organizationId, id, (current) => {
      const access = typeof update.access === 'function' ? update.access(current.access) : update.access;
      if (isErr(access)) return access;
      const next = accessWith(access ?? current.access, roles?.value ?? current.roles);
      // What its own permissions gain and the roles it gains, each judged by itself: moving a
      // role's permission to the key's own would outlive the role.
      if (access && !covers(principal.access, addedAccess(current.access, access))) return escalation();
      const addedRoles = roles?.value.filter((role) => !current.roles.some((held) => held.id === role.id)) ?? [];
      if (!covers(principal.access, accessWith({ restricted: true, grants: [] }, addedRoles))) return escalation();
      if (revives(current, update, now)) {
        const refused = requirePermission(principal, 'api_keys', 'create', id);
        if (refused) {
          return fail(
            'forbidden',
            'Re-enabling a key, extending its expiry, widening its allowlist, or raising its credits or limits needs api_keys.create.',
          );
        }
        if (!covers(principal.access, next)) return escalation();
      }
      const statusChanged = update.status !== undefined && update.status !== current.status;
      const action: AuditAction = statusChanged
        ? update.status === 'disabled'
          ? 'api_key.disabled'
          : 'api_key.enabled'
        : 'api_key.updated';
      const change: KeyChanges = {
        ...(update.name === undefined ? {} : { name: update.name }),
        ...(update.externalId === undefined ? {} : { externalId: update.externalId }),
        ...(roles === undefined ? {} : { roleIds: roles.value.map((role) => role.id) }),
        ...(update.meta === undefined ? {} : { meta: update.meta }),
        ...(update.ipAllowlist === undefined ? {} : { ipAllowlist: update.ipAllowlist }),
        ...(update.status === undefined ? {} : { status: update.status }),
        ...(access === undefined ? {} : { access }),
        ...(update.expiresAt === undefined ? {} : { expiresAt: update.expiresAt }),
        ...(update.credits === undefined ? {} : { credits: creditsFrom(update.credits, now) }),
        ...(update.ratelimits === undefined ? {} : { ratelimits: update.ratelimits }),
        updatedAt: now,
      };
      return { change, audit: auditEvent(this.#context, principal, action, id, { fields: changed }) };
    });
    if (updated === null) return notFound();
    return isErr(updated) ? updated : ok(this.#shown(updated));
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
      if (!covers(principal.access, keyAccess(current))) return escalation();
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

/** A key's credits as requested, counted from `now`; null: unlimited. */
const creditsFrom = (request: CreditsRequest | null | undefined, now: Date): KeyCredits | null =>
  request ? { remaining: request.remaining, refill: request.refill, refilledAt: now } : null;

import { randomUUID } from 'node:crypto';
import { describeSecret, digestsEqual, generateSecret, isWellFormedSecret, type SecretDigest } from './key-format.js';
import type { ApiKey, Application, AuditAction, AuditEvent, KeyStatus, Organization, Principal } from './model.js';
import {
  type Access,
  allows,
  covers,
  formatPermissions,
  type Grant,
  type KeyplaneAction,
  type KeyplaneResource,
  narrow,
  parsePermission,
  UNRESTRICTED,
} from './permissions.js';
import type { KeyBySecret, KeyOrder, KeyplaneStore } from './ports.js';
import { type Err, fail, isErr, ok, type Result } from './result.js';
import { looksLikeToken, type TokenAuthority } from './tokens.js';
import { KeyUsage } from './usage.js';

const ROOT_CREDENTIAL_SETTING = 'root_credential_sha256';

export interface NewKeyRequest {
  readonly name: string;
  readonly status?: KeyStatus;
  readonly access: Access;
  readonly applicationId?: string;
  readonly expiresAt?: Date | null;
}

export interface KeyUpdate {
  readonly name?: string;
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
  /** Key ids to page after or before (not both), or a 1-based page number. */
  readonly after?: string;
  readonly before?: string;
  readonly page?: number;
  readonly offset?: number;
  /** Count every key as well: a full scan of the organization's keys, so only when asked. */
  readonly withTotal?: boolean;
}

export interface KeyPage {
  readonly keys: ApiKey[];
  readonly hasMore: boolean;
  /** Present when asked for with `withTotal`. */
  readonly total?: number;
}

export type VerificationCode = 'VALID' | 'NOT_FOUND' | 'DISABLED' | 'EXPIRED' | 'INSUFFICIENT_PERMISSIONS';

export interface Verification {
  readonly valid: boolean;
  readonly code: VerificationCode;
  /** The key, when one was found in the caller's organization. */
  readonly key?: ApiKey;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
  readonly ttlSeconds: number;
  readonly grants: readonly Grant[];
}

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly nextCursor: string | null;
}

export interface KeyplaneOptions {
  /** How secrets become stored digests (`secretDigest(serverSecret)`). */
  readonly digest: SecretDigest;
  readonly now?: () => Date;
  /** Issues and checks access tokens; without it, bearer tokens are not accepted. */
  readonly tokens?: TokenAuthority;
  /** How often last-use times are written to the store, in milliseconds. */
  readonly usageFlushIntervalMs?: number;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

const notFound = (what = 'API key'): Err => fail('not_found', `No ${what} with that id.`);
/** Reasons of invalid pagination, for dialects that word them their own way. */
export type PaginationReason = 'both_cursors' | 'unknown_cursor' | 'bad_cursor';
const invalidPagination = (reason: PaginationReason, message: string): Err => fail('invalid', message, { reason });
const escalation = (): Err => fail('forbidden', 'A key cannot grant permissions its creator does not hold.');

const CURSOR_PREFIX = 'seq:';

function encodeCursor(sequence: string): string {
  return Buffer.from(CURSOR_PREFIX + sequence).toString('base64url');
}

function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const sequence = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  return /^[1-9]\d{0,17}$/.test(sequence) ? sequence : null;
}

/** What `next` grants beyond `current`: a change may only add what its author holds. */
function addedAccess(current: Access, next: Access): Access {
  if (!next.restricted) return current.restricted ? next : { restricted: true, grants: [] };
  if (!current.restricted) return { restricted: true, grants: [] };
  const added = next.grants.filter((wanted) => !covers(current, { restricted: true, grants: [wanted] }));
  return { restricted: true, grants: added };
}

/**
 * The domain's operations. Every one takes the calling principal, checks its
 * permission first and touches only that principal's organization.
 */
export class Keyplane {
  readonly #store: KeyplaneStore;
  readonly #now: () => Date;
  readonly #tokens: TokenAuthority | undefined;
  readonly #usage: KeyUsage;
  readonly #digest: SecretDigest;
  #root: { digest: string; organizationId: string } | null = null;

  constructor(store: KeyplaneStore, options: KeyplaneOptions) {
    this.#store = store;
    this.#digest = options.digest;
    this.#now = options.now ?? (() => new Date());
    this.#tokens = options.tokens;
    this.#usage = new KeyUsage(store, options.usageFlushIntervalMs ?? 5_000);
  }

  /**
   * Sets up the root credential of the default organization. A configured secret always
   * wins; otherwise the stored one is kept, and on a fresh store a new one is generated
   * and returned so that it can be shown once.
   */
  async initializeRoot(configuredSecret?: string): Promise<{ generatedSecret: string | null }> {
    const organization = await this.#store.ensureDefaultOrganization(this.#now());
    let generatedSecret: string | null = null;
    let digest: string;
    if (configuredSecret) {
      digest = this.#digest(configuredSecret);
    } else {
      const candidate = generateSecret();
      digest = await this.#store.putSettingIfAbsent(ROOT_CREDENTIAL_SETTING, this.#digest(candidate));
      if (digest === this.#digest(candidate)) generatedSecret = candidate;
    }
    this.#root = { digest, organizationId: organization.id };
    return { generatedSecret };
  }

  /** A key's secret, an access token of a key, or the root credential → who is calling. */
  async authenticate(credential: string | undefined, requestId: string): Promise<Result<Principal>> {
    if (!credential) return fail('unauthenticated', 'No credential was presented.');
    if (this.#tokens && looksLikeToken(credential)) return this.#authenticateToken(credential, requestId);
    const digest = this.#digest(credential);
    if (this.#root && digestsEqual(digest, this.#root.digest)) {
      return ok({ organizationId: this.#root.organizationId, keyId: null, access: UNRESTRICTED, requestId });
    }
    const found = await this.#findUsableKey(credential);
    if (!found.ok) return found;
    const key = found.value;
    this.#usage.record(key.id, this.#now());
    return ok({ organizationId: key.organizationId, keyId: key.id, access: key.access, requestId });
  }

  /**
   * The OAuth client-credentials grant: a key's id and secret for a short-lived token
   * carrying the requested permissions the key holds (all of them when none are asked).
   */
  async issueToken(request: {
    clientId: string;
    clientSecret: string;
    permissions: readonly Grant[];
  }): Promise<Result<IssuedToken>> {
    if (!this.#tokens) return fail('unavailable', 'Access tokens are not enabled.');
    const found = await this.#findUsableKey(request.clientSecret);
    if (!found.ok || found.value.id !== request.clientId) {
      return fail('unauthenticated', 'The client id or secret is wrong.');
    }
    const key = found.value;
    const granted = narrow(key.access, request.permissions);
    if (!granted.restricted || granted.grants.length === 0) {
      return fail('forbidden', 'The key holds none of the requested permissions.');
    }
    const { token, expiresAt } = await this.#tokens.issue({
      keyId: key.id,
      organizationId: key.organizationId,
      permissions: formatPermissions(granted.grants),
    });
    this.#usage.record(key.id, this.#now());
    return ok({ token, expiresAt, ttlSeconds: this.#tokens.ttlSeconds, grants: granted.grants });
  }

  async createKey(principal: Principal, request: NewKeyRequest): Promise<Result<CreatedKey>> {
    const denied = this.#require(principal, 'api_keys', 'create');
    if (denied) return denied;
    if (!covers(principal.access, request.access)) return escalation();
    const application = request.applicationId
      ? await this.#findApplication(principal, request.applicationId)
      : await this.#store.findDefaultApplication(principal.organizationId);
    if (!application) return notFound('application');

    const secret = generateSecret();
    const now = this.#now();
    const id = randomUUID();
    const key = await this.#store.insertKey(
      {
        id,
        organizationId: principal.organizationId,
        applicationId: application.id,
        name: request.name,
        status: request.status ?? 'enabled',
        access: request.access,
        secretHash: this.#digest(secret),
        ...describeSecret(secret),
        createdBy: principal.keyId,
        createdAt: now,
        expiresAt: request.expiresAt ?? null,
      },
      this.#audit(principal, 'api_key.created', id, { name: request.name, applicationId: application.id }),
    );
    return ok({ key, secret });
  }

  /** Every key of the organization (or of one application), oldest first. */
  async listKeys(principal: Principal, applicationId?: string): Promise<Result<ApiKey[]>> {
    const denied = this.#require(principal, 'api_keys', 'read');
    if (denied) return denied;
    if (applicationId !== undefined && !(await this.#findApplication(principal, applicationId))) {
      return notFound('application');
    }
    const keys = await this.#store.listKeys(principal.organizationId, {
      order: 'asc',
      ...(applicationId === undefined ? {} : { applicationId }),
    });
    return ok(keys.map((key) => this.#usage.overlay(key)));
  }

  /** One page of keys: by cursor (keyset pagination), by page number or by offset. */
  async listKeyPage(principal: Principal, request: KeyPageRequest): Promise<Result<KeyPage>> {
    const denied = this.#require(principal, 'api_keys', 'read');
    if (denied) return denied;
    if (request.after !== undefined && request.before !== undefined) {
      return invalidPagination('both_cursors', 'Give a cursor to page after or before, not both.');
    }
    const cursorId = request.after ?? request.before;
    let cursor: { createdAt: Date; id: string } | undefined;
    if (cursorId !== undefined) {
      const key = isUuid(cursorId) ? await this.#store.findKeyById(principal.organizationId, cursorId) : null;
      if (!key) return invalidPagination('unknown_cursor', `No API key ${cursorId} to page from.`);
      cursor = { createdAt: key.createdAt, id: key.id };
    }
    const offset = request.page !== undefined ? (request.page - 1) * request.limit : request.offset;
    const [keys, total] = await Promise.all([
      this.#store.listKeys(principal.organizationId, {
        order: request.order,
        limit: request.limit + 1,
        ...(request.applicationId === undefined ? {} : { applicationId: request.applicationId }),
        ...(cursor && request.after !== undefined ? { after: cursor } : {}),
        ...(cursor && request.before !== undefined ? { before: cursor } : {}),
        ...(offset === undefined ? {} : { offset }),
      }),
      request.withTotal ? this.#store.countKeys(principal.organizationId, request.applicationId) : undefined,
    ]);
    // One key more than the page was read to learn whether there are more; paging
    // before a cursor, that extra key is the farthest one, first in the list.
    const page = request.before !== undefined ? keys.slice(-request.limit) : keys.slice(0, request.limit);
    return ok({
      keys: page.map((key) => this.#usage.overlay(key)),
      hasMore: keys.length > request.limit,
      ...(total === undefined ? {} : { total }),
    });
  }

  async getKey(principal: Principal, id: string, applicationId?: string): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'read', id);
    if (denied) return denied;
    const key = await this.#findKey(principal, id, applicationId);
    return key ? ok(this.#usage.overlay(key)) : notFound();
  }

  async updateKey(principal: Principal, id: string, update: KeyUpdate): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    const current = await this.#findKey(principal, id);
    if (!current) return notFound();
    const access = typeof update.access === 'function' ? update.access(current.access) : update.access;
    if (isErr(access)) return access;
    if (access && !covers(principal.access, addedAccess(current.access, access))) return escalation();

    const statusChanged = update.status !== undefined && update.status !== current.status;
    const action: AuditAction = statusChanged
      ? update.status === 'disabled'
        ? 'api_key.disabled'
        : 'api_key.enabled'
      : 'api_key.updated';
    const changed = Object.keys(update).filter((field) => update[field as keyof KeyUpdate] !== undefined);
    const key = await this.#store.updateKey(
      principal.organizationId,
      id,
      {
        ...(update.name === undefined ? {} : { name: update.name }),
        ...(update.status === undefined ? {} : { status: update.status }),
        ...(access === undefined ? {} : { access }),
        ...(update.expiresAt === undefined ? {} : { expiresAt: update.expiresAt }),
        updatedAt: this.#now(),
      },
      this.#audit(principal, action, id, { fields: changed }),
    );
    return key ? ok(this.#usage.overlay(key)) : notFound();
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
    const denied = this.#require(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    const current = await this.#findKey(principal, id);
    if (!current) return notFound();
    // The new secret is handed to the caller: it must already hold all the key can do.
    if (!covers(principal.access, current.access)) return escalation();
    const secret = generateSecret();
    const now = this.#now();
    const previousSecretExpiresAt = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    const key = await this.#store.rotateKey(
      principal.organizationId,
      id,
      { secretHash: this.#digest(secret), ...describeSecret(secret), previousSecretExpiresAt, rotatedAt: now },
      this.#audit(principal, 'api_key.rotated', id, {
        gracePeriodSeconds: graceSeconds,
        previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null,
      }),
    );
    return key ? ok({ key, secret, previousSecretExpiresAt }) : notFound();
  }

  /** Deletes the key for good. Only one of several concurrent deletes succeeds. */
  async deleteKey(principal: Principal, id: string, applicationId?: string): Promise<Result<void>> {
    const denied = this.#require(principal, 'api_keys', 'delete', id);
    if (denied) return denied;
    if (!isUuid(id)) return notFound();
    const deleted = await this.#store.deleteKey(
      principal.organizationId,
      id,
      applicationId,
      this.#audit(principal, 'api_key.deleted', id, applicationId === undefined ? {} : { applicationId }),
    );
    return deleted ? ok(undefined) : notFound();
  }

  /**
   * Checks a key presented to the caller's platform: found in the caller's organization,
   * enabled, not expired, and holding every required permission. Never an error for a
   * malformed key: it is simply not found.
   */
  async verifyKey(principal: Principal, secret: string, required: readonly Grant[]): Promise<Result<Verification>> {
    const denied = this.#require(principal, 'api_keys', 'verify');
    if (denied) return denied;
    const found = isWellFormedSecret(secret) ? await this.#store.findKeyBySecretHash(this.#digest(secret)) : null;
    if (!found || found.key.organizationId !== principal.organizationId || !this.#secretStillValid(found)) {
      return ok({ valid: false, code: 'NOT_FOUND' });
    }
    const key = this.#usage.overlay(found.key);
    if (key.status !== 'enabled') return ok({ valid: false, code: 'DISABLED', key });
    if (this.#expired(key)) return ok({ valid: false, code: 'EXPIRED', key });
    this.#usage.record(key.id, this.#now());
    const missing = required.some((wanted) =>
      wanted.targets.some((target) => !allows(key.access, wanted.resource, wanted.action, target)),
    );
    return ok(missing ? { valid: false, code: 'INSUFFICIENT_PERMISSIONS', key } : { valid: true, code: 'VALID', key });
  }

  async createApplication(
    principal: Principal,
    request: { name: string; description?: string | null },
  ): Promise<Result<Application>> {
    const denied = this.#require(principal, 'applications', 'create');
    if (denied) return denied;
    const application: Application = {
      id: randomUUID(),
      organizationId: principal.organizationId,
      name: request.name,
      description: request.description ?? null,
      isDefault: false,
      createdAt: this.#now(),
    };
    return ok(
      await this.#store.insertApplication(
        application,
        this.#audit(principal, 'application.created', application.id, { name: request.name }),
      ),
    );
  }

  async getApplication(principal: Principal, id: string): Promise<Result<Application>> {
    const denied = this.#require(principal, 'applications', 'read', id);
    if (denied) return denied;
    const application = await this.#findApplication(principal, id);
    return application ? ok(application) : notFound('application');
  }

  async listApplications(principal: Principal): Promise<Result<Application[]>> {
    return (
      this.#require(principal, 'applications', 'read') ??
      ok(await this.#store.listApplications(principal.organizationId))
    );
  }

  /**
   * A new tenant, only for the root credential: the organization, its default
   * application, and its first key, unrestricted within it, whose secret is shown once.
   */
  async createOrganization(
    principal: Principal,
    request: { name: string },
  ): Promise<Result<{ organization: Organization; application: Application; adminKey: CreatedKey }>> {
    if (principal.keyId !== null) return fail('forbidden', 'Only the root credential can create organizations.');
    const now = this.#now();
    const organization: Organization = { id: randomUUID(), name: request.name, createdAt: now };
    const application: Application = {
      id: randomUUID(),
      organizationId: organization.id,
      name: 'Default application',
      description: 'Created with the organization.',
      isDefault: true,
      createdAt: now,
    };
    const secret = generateSecret();
    const adminKey = {
      id: randomUUID(),
      organizationId: organization.id,
      applicationId: application.id,
      name: 'Admin key',
      status: 'enabled' as const,
      access: UNRESTRICTED,
      secretHash: this.#digest(secret),
      ...describeSecret(secret),
      createdBy: null,
      createdAt: now,
      expiresAt: null,
    };
    // The new organization's log starts with its own creation, by the root credential.
    const inNewOrganization = { ...principal, organizationId: organization.id };
    await this.#store.insertOrganization(organization, application, adminKey, [
      this.#audit(inNewOrganization, 'organization.created', organization.id, { name: request.name }),
      this.#audit(inNewOrganization, 'api_key.created', adminKey.id, { name: adminKey.name, applicationId: application.id }),
    ]);
    const key = await this.#store.findKeyById(organization.id, adminKey.id);
    return ok({ organization, application, adminKey: { key: key as ApiKey, secret } });
  }

  /** The organization's audit log, newest first, a page at a time. */
  async listAuditEvents(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<AuditPage>> {
    const denied = this.#require(principal, 'audit', 'read');
    if (denied) return denied;
    const beforeSequence = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    if (beforeSequence === null) return invalidPagination('bad_cursor', 'The cursor is not one this API returned.');
    const events = await this.#store.listAuditEvents(principal.organizationId, {
      limit: request.limit + 1,
      ...(beforeSequence ? { beforeSequence } : {}),
    });
    const page = events.slice(0, request.limit);
    const last = page.at(-1)?.sequence;
    return ok({ events: page, nextCursor: events.length > request.limit && last ? encodeCursor(last) : null });
  }

  async checkHealth(): Promise<Result<void>> {
    try {
      await this.#store.ping();
      return ok(undefined);
    } catch {
      return fail('unavailable', 'The store is not reachable.');
    }
  }

  /** Writes pending last-use times now, instead of at the next interval. */
  flushUsage(): Promise<void> {
    return this.#usage.flush();
  }

  /** Writes pending last-use times and stops the background writer. */
  async close(): Promise<void> {
    await this.#usage.close();
  }

  async #authenticateToken(token: string, requestId: string): Promise<Result<Principal>> {
    const verified = await (this.#tokens as TokenAuthority).verify(token);
    if (!verified.ok) return verified;
    const { keyId, organizationId, permissions, issuedAt } = verified.value;
    // The key is read on every request: a token dies with its key, whatever its expiry.
    const key = isUuid(keyId) ? await this.#store.findKeyById(organizationId, keyId) : null;
    if (!key) return fail('unauthenticated', 'The access token belongs to a key that no longer exists.');
    const unusable = this.#unusable(key);
    if (unusable) return unusable;
    // A token obtained before a rotation lives no longer than the secret it was obtained with.
    if (key.rotatedAt && issuedAt < key.rotatedAt && !this.#inGrace(key.previousSecretExpiresAt)) {
      return fail('unauthenticated', 'The access token was issued before the key was rotated.');
    }
    const grants = permissions.map(parsePermission).filter((parsed): parsed is Grant => parsed !== null);
    this.#usage.record(key.id, this.#now());
    return ok({ organizationId, keyId, access: narrow(key.access, grants), requestId });
  }

  async #findUsableKey(secret: string): Promise<Result<ApiKey>> {
    if (!isWellFormedSecret(secret)) return fail('unauthenticated', 'The credential is not valid.');
    const found = await this.#store.findKeyBySecretHash(this.#digest(secret));
    if (!found || !this.#secretStillValid(found)) return fail('unauthenticated', 'The credential is not valid.');
    return this.#unusable(found.key) ?? ok(found.key);
  }

  /** Why an existing key cannot be used now, or null when it can. */
  #unusable(key: ApiKey): Err | null {
    if (key.status !== 'enabled') return fail('unauthenticated', 'The API key is disabled.');
    if (this.#expired(key)) return fail('unauthenticated', 'The API key has expired.');
    return null;
  }

  #inGrace(previousSecretExpiresAt: Date | null): boolean {
    return previousSecretExpiresAt !== null && previousSecretExpiresAt.getTime() > this.#now().getTime();
  }

  #secretStillValid(found: KeyBySecret): boolean {
    return found.matched === 'current' || this.#inGrace(found.key.previousSecretExpiresAt);
  }

  #expired(key: ApiKey): boolean {
    return key.expiresAt !== null && key.expiresAt.getTime() <= this.#now().getTime();
  }

  async #findKey(principal: Principal, id: string, applicationId?: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const key = await this.#store.findKeyById(principal.organizationId, id);
    if (!key || (applicationId !== undefined && key.applicationId !== applicationId)) return null;
    return key;
  }

  async #findApplication(principal: Principal, id: string): Promise<Application | null> {
    return isUuid(id) ? this.#store.findApplication(principal.organizationId, id) : null;
  }

  #audit(principal: Principal, action: AuditAction, targetId: string, details: Record<string, unknown>): AuditEvent {
    return {
      id: randomUUID(),
      organizationId: principal.organizationId,
      occurredAt: this.#now(),
      action,
      actorKeyId: principal.keyId,
      targetId,
      requestId: principal.requestId,
      details,
    };
  }

  #require<R extends KeyplaneResource>(
    principal: Principal,
    resource: R,
    action: KeyplaneAction<R>,
    target?: string,
  ): Err | null {
    return allows(principal.access, resource, action, target)
      ? null
      : fail('forbidden', `This key lacks the ${resource}.${action} permission.`);
  }
}

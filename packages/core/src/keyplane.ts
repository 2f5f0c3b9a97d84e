import { randomUUID } from 'node:crypto';
import { CursorSealer } from './cursors.js';
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
import type { KeyBySecret, KeyChanges, KeyOrder, KeyplaneStore } from './ports.js';
import { type Err, fail, isErr, ok, type Result } from './result.js';
import { looksLikeToken, type TokenAuthority, type TokenClaims } from './tokens.js';
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

export interface ApplicationPage {
  readonly applications: Application[];
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
  /** The server secret page cursors are sealed with (32+ characters). */
  readonly cursorSecret: string;
  /** Most keys one organization may hold. */
  readonly maxKeysPerOrganization?: number;
}

export const DEFAULT_MAX_KEYS_PER_ORGANIZATION = 10_000;

/**
 * Ids are uuids in lower case. The HTTP edge puts every id it receives in this form, so
 * that one key has one id wherever it is compared or cached; any other string names nothing.
 */
const CANONICAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isCanonicalId = (value: string): boolean => CANONICAL_ID.test(value);

const notFound = (what = 'API key'): Err => fail('not_found', `No ${what} with that id.`);
/** Reasons of invalid pagination, for dialects that word them their own way. */
export type PaginationReason = 'both_cursors' | 'unknown_cursor' | 'bad_cursor';
const invalidPagination = (reason: PaginationReason, message: string): Err => fail('invalid', message, { reason });
const escalation = (): Err => fail('forbidden', 'A key cannot grant permissions its creator does not hold.');
const badCursor = (): Err => invalidPagination('bad_cursor', 'The cursor is not one this API returned.');

/** A position in a list ordered by creation: the time and id of the last item seen. */
type Position = { readonly createdAt: Date; readonly id: string };
const formatPosition = ({ createdAt, id }: Position) => `${createdAt.toISOString()}|${id}`;
function parsePosition(text: string | null): Position | null {
  const [time = '', id = '', ...rest] = (text ?? '').split('|');
  const createdAt = new Date(time);
  return rest.length === 0 && isCanonicalId(id) && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : null;
}

/**
 * Whether a change brings a key back to life: enables a disabled key, or moves its expiry
 * later or away. That grants its access again, so it asks what creating the key would.
 */
function revives(current: ApiKey, update: { status?: KeyStatus; expiresAt?: Date | null }): boolean {
  const enables = update.status === 'enabled' && current.status === 'disabled';
  const extends_ =
    update.expiresAt !== undefined &&
    current.expiresAt !== null &&
    (update.expiresAt === null || update.expiresAt.getTime() > current.expiresAt.getTime());
  return enables || extends_;
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
  readonly #cursors: CursorSealer;
  readonly #maxKeys: number;
  #root: { digest: string; organizationId: string } | null = null;

  constructor(store: KeyplaneStore, options: KeyplaneOptions) {
    this.#store = store;
    this.#digest = options.digest;
    this.#now = options.now ?? (() => new Date());
    this.#tokens = options.tokens;
    this.#usage = new KeyUsage(store, options.usageFlushIntervalMs ?? 5_000);
    this.#cursors = new CursorSealer(options.cursorSecret);
    this.#maxKeys = options.maxKeysPerOrganization ?? DEFAULT_MAX_KEYS_PER_ORGANIZATION;
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
    const { key } = found.value;
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
    if (!found.ok || found.value.key.id !== request.clientId) {
      return fail('unauthenticated', 'The client id or secret is wrong.');
    }
    const { key, secretGeneration } = found.value;
    const granted = narrow(key.access, request.permissions);
    if (!granted.restricted || granted.grants.length === 0) {
      return fail('forbidden', 'The key holds none of the requested permissions.');
    }
    const { token, expiresAt } = await this.#tokens.issue({
      keyId: key.id,
      organizationId: key.organizationId,
      permissions: formatPermissions(granted.grants),
      secretGeneration,
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
      this.#maxKeys,
    );
    if (!key) {
      return fail('quota_exceeded', `The organization already holds its quota of ${this.#maxKeys} keys.`);
    }
    return ok({ key, secret });
  }

  /** Every key of the organization, oldest first: at most its quota of keys. */
  async listKeys(principal: Principal): Promise<Result<ApiKey[]>> {
    const denied = this.#require(principal, 'api_keys', 'read');
    if (denied) return denied;
    const keys = await this.#store.listKeys(principal.organizationId, { order: 'asc' });
    return ok(keys.map((key) => this.#usage.overlay(key)));
  }

  /**
   * One page of keys: after or before a key (keyset pagination), after a cursor this API
   * returned, by page number or by offset.
   */
  async listKeyPage(principal: Principal, request: KeyPageRequest): Promise<Result<KeyPage>> {
    const denied = this.#require(principal, 'api_keys', 'read');
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
      const position = parsePosition(this.#cursors.open(principal.organizationId, list, request.cursor));
      if (!position) return badCursor();
      after = position;
    }
    const cursorId = request.after ?? request.before;
    if (cursorId !== undefined) {
      const key = isCanonicalId(cursorId) ? await this.#store.findKeyById(principal.organizationId, cursorId) : null;
      if (!key) return invalidPagination('unknown_cursor', `No API key ${cursorId} to page from.`);
      if (request.after !== undefined) after = key;
      else before = key;
    }
    const offset = request.page !== undefined ? (request.page - 1) * request.limit : request.offset;
    const [keys, total] = await Promise.all([
      this.#store.listKeys(principal.organizationId, {
        order: request.order,
        limit: request.limit + 1,
        ...(request.applicationId === undefined ? {} : { applicationId: request.applicationId }),
        ...(after ? { after: { createdAt: after.createdAt, id: after.id } } : {}),
        ...(before ? { before: { createdAt: before.createdAt, id: before.id } } : {}),
        ...(offset === undefined ? {} : { offset }),
      }),
      request.withTotal ? this.#store.countKeys(principal.organizationId, request.applicationId) : undefined,
    ]);
    // One key more than the page was read to learn whether there are more; paging
    // before a cursor, that extra key is the farthest one, first in the list.
    const page = before ? keys.slice(-request.limit) : keys.slice(0, request.limit);
    const hasMore = keys.length > request.limit;
    const last = page.at(-1);
    return ok({
      keys: page.map((key) => this.#usage.overlay(key)),
      hasMore,
      nextCursor:
        hasMore && last && !before ? this.#cursors.seal(principal.organizationId, list, formatPosition(last)) : null,
      ...(total === undefined ? {} : { total }),
    });
  }

  async getKey(principal: Principal, id: string, applicationId?: string): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'read', id);
    if (denied) return denied;
    const key = await this.#findKey(principal, id, applicationId);
    return key ? ok(this.#usage.overlay(key)) : notFound();
  }

  /**
   * Changes a key atomically: the checks below see the key as it is while the store holds
   * it, so concurrent edits never lose one another. Taking power away needs
   * `api_keys.update`; bringing the key back to life needs what creating it would.
   */
  async updateKey(principal: Principal, id: string, update: KeyUpdate): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
    const changed = Object.keys(update).filter((field) => update[field as keyof KeyUpdate] !== undefined);
    const now = this.#now();
    const updated = await this.#store.updateKey(principal.organizationId, id, (current) => {
      const access = typeof update.access === 'function' ? update.access(current.access) : update.access;
      if (isErr(access)) return access;
      if (access && !covers(principal.access, addedAccess(current.access, access))) return escalation();
      if (revives(current, update)) {
        const refused = this.#require(principal, 'api_keys', 'create', id);
        if (refused) return fail('forbidden', 'Re-enabling a key or extending its expiry needs api_keys.create.');
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
        ...(update.status === undefined ? {} : { status: update.status }),
        ...(access === undefined ? {} : { access }),
        ...(update.expiresAt === undefined ? {} : { expiresAt: update.expiresAt }),
        updatedAt: now,
      };
      return { change, audit: this.#audit(principal, action, id, { fields: changed }) };
    });
    if (updated === null) return notFound();
    return isErr(updated) ? updated : ok(this.#usage.overlay(updated));
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
    if (!isCanonicalId(id)) return notFound();
    const secret = generateSecret();
    const now = this.#now();
    const previousSecretExpiresAt = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    const rotated = await this.#store.rotateKey(principal.organizationId, id, (current) => {
      // The new secret is handed to the caller: it must already hold all the key can do.
      if (!covers(principal.access, current.access)) return escalation();
      return {
        change: { secretHash: this.#digest(secret), ...describeSecret(secret), previousSecretExpiresAt, rotatedAt: now },
        audit: this.#audit(principal, 'api_key.rotated', id, {
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
    const denied = this.#require(principal, 'api_keys', 'delete', id);
    if (denied) return denied;
    if (!isCanonicalId(id)) return notFound();
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

  /** The organization's applications in creation order, a page at a time. */
  async listApplications(
    principal: Principal,
    request: { limit: number; cursor?: string },
  ): Promise<Result<ApplicationPage>> {
    const denied = this.#require(principal, 'applications', 'read');
    if (denied) return denied;
    let after: Position | undefined;
    if (request.cursor !== undefined) {
      const position = parsePosition(this.#cursors.open(principal.organizationId, 'applications', request.cursor));
      if (!position) return badCursor();
      after = position;
    }
    const applications = await this.#store.listApplications(principal.organizationId, {
      limit: request.limit + 1,
      ...(after ? { after } : {}),
    });
    const page = applications.slice(0, request.limit);
    const last = page.at(-1);
    return ok({
      applications: page,
      nextCursor:
        applications.length > request.limit && last
          ? this.#cursors.seal(principal.organizationId, 'applications', formatPosition(last))
          : null,
    });
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
    let beforeSequence: string | undefined;
    if (request.cursor !== undefined) {
      const sequence = this.#cursors.open(principal.organizationId, 'audit', request.cursor);
      if (sequence === null || !/^[1-9]\d{0,17}$/.test(sequence)) return badCursor();
      beforeSequence = sequence;
    }
    const events = await this.#store.listAuditEvents(principal.organizationId, {
      limit: request.limit + 1,
      ...(beforeSequence ? { beforeSequence } : {}),
    });
    const page = events.slice(0, request.limit);
    const last = page.at(-1)?.sequence;
    return ok({
      events: page,
      nextCursor:
        events.length > request.limit && last ? this.#cursors.seal(principal.organizationId, 'audit', last) : null,
    });
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
    const { keyId, organizationId, permissions } = verified.value;
    // The key is read on every request: a token dies with its key, whatever its expiry.
    const key = isCanonicalId(keyId) ? await this.#store.findKeyById(organizationId, keyId) : null;
    if (!key) return fail('unauthenticated', 'The access token belongs to a key that no longer exists.');
    const unusable = this.#unusable(key);
    if (unusable) return unusable;
    if (!this.#secretWorks(key, this.#generationOf(verified.value, key))) {
      return fail('unauthenticated', 'The access token was obtained with a secret that no longer works.');
    }
    const grants = permissions.map(parsePermission).filter((parsed): parsed is Grant => parsed !== null);
    this.#usage.record(key.id, this.#now());
    return ok({ organizationId, keyId, access: narrow(key.access, grants), requestId });
  }

  /**
   * Which secret obtained a token. Tokens issued before keyplane recorded it are placed by
   * their time: before the last rotation, the replaced secret; after it, the current one.
   */
  #generationOf(claims: TokenClaims, key: ApiKey): number {
    if (claims.secretGeneration !== null) return claims.secretGeneration;
    return key.rotatedAt && claims.issuedAt < key.rotatedAt ? key.secretGeneration - 1 : key.secretGeneration;
  }

  /** The current secret always works; the one before it only until its grace period ends; older ones never. */
  #secretWorks(key: ApiKey, generation: number): boolean {
    if (generation === key.secretGeneration) return true;
    return generation === key.secretGeneration - 1 && this.#inGrace(key.previousSecretExpiresAt);
  }

  /** The key a secret names, if it may be used now, and which of its secrets it is. */
  async #findUsableKey(secret: string): Promise<Result<{ key: ApiKey; secretGeneration: number }>> {
    if (!isWellFormedSecret(secret)) return fail('unauthenticated', 'The credential is not valid.');
    const found = await this.#store.findKeyBySecretHash(this.#digest(secret));
    if (!found || !this.#secretStillValid(found)) return fail('unauthenticated', 'The credential is not valid.');
    const secretGeneration = found.matched === 'current' ? found.key.secretGeneration : found.key.secretGeneration - 1;
    return this.#unusable(found.key) ?? ok({ key: found.key, secretGeneration });
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
    if (!isCanonicalId(id)) return null;
    const key = await this.#store.findKeyById(principal.organizationId, id);
    if (!key || (applicationId !== undefined && key.applicationId !== applicationId)) return null;
    return key;
  }

  async #findApplication(principal: Principal, id: string): Promise<Application | null> {
    return isCanonicalId(id) ? this.#store.findApplication(principal.organizationId, id) : null;
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

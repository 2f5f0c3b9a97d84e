import { type ApplicationPage, Applications } from './applications.js';
import { AuditLog, type AuditPage } from './audit.js';
import {
  type CredentialCheck,
  Credentials,
  type IssuedToken,
  type TokenGrant,
  type Verification,
  type VerificationRequest,
} from './credentials.js';
import type { CreditOperation } from './credits.js';
import { CursorSealer } from './cursors.js';
import type { DomainContext } from './domain.js';
import { Identities, type IdentityPage, type IdentityRequest, type IdentityUpdate } from './identities.js';
import type { SecretDigest } from './key-format.js';
import {
  type CreatedKey,
  type ImportedKeyRequest,
  type KeyPage,
  type KeyPageRequest,
  Keys,
  type KeyUpdate,
  type NewKeyRequest,
} from './keys.js';
import type { ApiKey, Application, Identity, Organization, Principal, Role } from './model.js';
import { Organizations } from './organizations.js';
import type { Grant } from './permissions.js';
import type { KeyplaneStore, KeyUsageStore } from './ports.js';
import { fail, ok, type Result } from './result.js';
import { type RolePage, Roles } from './roles.js';
import type { TokenAuthority } from './tokens.js';
import { KeyUsage } from './usage.js';

export interface KeyplaneOptions {
  /** How secrets become stored digests (`secretDigest(serverSecret)`). */
  readonly digest: SecretDigest;
  readonly now?: () => Date;
  /** Issues and checks access tokens; without it, bearer tokens are not accepted. */
  readonly tokens?: TokenAuthority;
  /** Where last-use times are written; the store when absent. */
  readonly usageStore?: KeyUsageStore;
  /** How often last-use times are written, in milliseconds. */
  readonly usageFlushIntervalMs?: number;
  /** The server secret page cursors are sealed with (32+ characters). */
  readonly cursorSecret: string;
  /** Most keys one organization may hold. */
  readonly maxKeysPerOrganization?: number;
}

export const DEFAULT_MAX_KEYS_PER_ORGANIZATION = 10_000;

/**
 * The domain's operations, one facade over its parts (credentials, keys, applications,
 * organizations, audit). Every operation takes the calling principal, checks its
 * permission first and touches only that principal's organization.
 */
export class Keyplane {
  readonly #context: DomainContext;
  readonly #credentials: Credentials;
  readonly #keys: Keys;
  readonly #applications: Applications;
  readonly #organizations: Organizations;
  readonly #audit: AuditLog;
  readonly #roles: Roles;
  readonly #identities: Identities;

  constructor(store: KeyplaneStore, options: KeyplaneOptions) {
    this.#context = {
      store,
      now: options.now ?? (() => new Date()),
      digest: options.digest,
      usage: new KeyUsage(options.usageStore ?? store, options.usageFlushIntervalMs ?? 5_000, (keyId) =>
        store.peekWrittenUse?.(keyId),
      ),
      cursors: new CursorSealer(options.cursorSecret),
    };
    this.#credentials = new Credentials(this.#context, options.tokens);
    this.#keys = new Keys(this.#context, options.maxKeysPerOrganization ?? DEFAULT_MAX_KEYS_PER_ORGANIZATION);
    this.#applications = new Applications(this.#context);
    this.#organizations = new Organizations(this.#context);
    this.#audit = new AuditLog(this.#context);
    this.#roles = new Roles(this.#context);
    this.#identities = new Identities(this.#context);
  }

  /**
   * Sets up the root credential of the default organization. A configured secret always
   * wins; otherwise the stored one is kept, and on a fresh store a new one is generated
   * and returned so that it can be shown once.
   */
  initializeRoot(configuredSecret?: string): Promise<{ generatedSecret: string | null }> {
    return this.#credentials.initializeRoot(configuredSecret);
  }

  /**
   * A key's secret, an access token of a key, or the root credential → who is calling,
   * judged in two steps (memory, then the store) so that the look-ups can be guarded.
   */
  authentication(credential: string | undefined, requestId: string, from?: string): CredentialCheck<Principal> {
    return this.#credentials.authentication(credential, requestId, from);
  }

  /** Who is calling, in one step: from memory when it proves the credential good, else from the store. */
  async authenticate(credential: string | undefined, requestId: string): Promise<Result<Principal>> {
    const check = this.authentication(credential, requestId);
    return (await check.proveFromMemory()) ?? check.lookUp();
  }

  /**
   * The OAuth client-credentials grant: a key's id and secret for a short-lived token
   * carrying the requested permissions the key holds (all of them when none are asked),
   * judged in two steps as `authentication` is.
   */
  tokenGrant(request: TokenGrant): CredentialCheck<IssuedToken> {
    return this.#credentials.tokenGrant(request);
  }

  /**
   * Checks a key presented to the caller's platform: found in the caller's organization,
   * enabled, not expired, used from an address its allowlist holds, and holding what
   * `options.permissions` asks. Never an error for a malformed key: it is simply not found.
   */
  verifyKey(principal: Principal, secret: string, options: VerificationRequest = {}): Promise<Result<Verification>> {
    return this.#credentials.verifyKey(principal, secret, options);
  }

  /** The key a secret names in the caller's organization; reading it is no use of it. */
  identifyKey(principal: Principal, secret: string): Promise<Result<ApiKey>> {
    return this.#credentials.identifyKey(principal, secret);
  }

  createKey(principal: Principal, request: NewKeyRequest): Promise<Result<CreatedKey>> {
    return this.#keys.createKey(principal, request);
  }

  listKeyPage(principal: Principal, request: KeyPageRequest): Promise<Result<KeyPage>> {
    return this.#keys.listKeyPage(principal, request);
  }

  getKey(principal: Principal, id: string, applicationId?: string): Promise<Result<ApiKey>> {
    return this.#keys.getKey(principal, id, applicationId);
  }

  updateKey(principal: Principal, id: string, update: KeyUpdate): Promise<Result<ApiKey>> {
    return this.#keys.updateKey(principal, id, update);
  }

  /** Sets, adds to or takes from a key's credits; answers the key with its credits as they now stand. */
  changeKeyCredits(
    principal: Principal,
    id: string,
    operation: CreditOperation,
    value: number,
  ): Promise<Result<ApiKey>> {
    return this.#keys.changeKeyCredits(principal, id, operation, value);
  }

  /**
   * Gives the key a new secret. The old one keeps working for `graceSeconds` (0: it
   * stops at once), so clients can roll over without downtime.
   */
  rotateKey(
    principal: Principal,
    id: string,
    graceSeconds: number,
  ): Promise<Result<CreatedKey & { previousSecretExpiresAt: Date | null }>> {
    return this.#keys.rotateKey(principal, id, graceSeconds);
  }

  /** Deletes the key for good. Only one of several concurrent deletes succeeds. */
  deleteKey(principal: Principal, id: string, applicationId?: string): Promise<Result<void>> {
    return this.#keys.deleteKey(principal, id, applicationId);
  }

  /** Keys of another system, all or none, found from now on by their original secrets. */
  importKeys(principal: Principal, requests: readonly ImportedKeyRequest[]): Promise<Result<string[]>> {
    return this.#keys.importKeys(principal, requests);
  }

  createRole(principal: Principal, request: { name: string; grants: readonly Grant[] }): Promise<Result<Role>> {
    return this.#roles.createRole(principal, request);
  }

  getRole(principal: Principal, idOrName: string): Promise<Result<Role>> {
    return this.#roles.getRole(principal, idOrName);
  }

  listRoles(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<RolePage>> {
    return this.#roles.listRoles(principal, request);
  }

  /** Changes a role; every key holding it has the change on its very next request, on every instance. */
  updateRole(
    principal: Principal,
    idOrName: string,
    update: { name?: string; grants?: readonly Grant[] },
  ): Promise<Result<Role>> {
    return this.#roles.updateRole(principal, idOrName, update);
  }

  deleteRole(principal: Principal, idOrName: string): Promise<Result<void>> {
    return this.#roles.deleteRole(principal, idOrName);
  }

  createIdentity(principal: Principal, request: IdentityRequest): Promise<Result<Identity>> {
    return this.#identities.createIdentity(principal, request);
  }

  getIdentity(principal: Principal, idOrExternalId: string): Promise<Result<Identity>> {
    return this.#identities.getIdentity(principal, idOrExternalId);
  }

  listIdentities(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<IdentityPage>> {
    return this.#identities.listIdentities(principal, request);
  }

  updateIdentity(principal: Principal, idOrExternalId: string, update: IdentityUpdate): Promise<Result<Identity>> {
    return this.#identities.updateIdentity(principal, idOrExternalId, update);
  }

  /** Deletes an identity; with `deleteKeys`, its keys too (refused while it has keys otherwise). */
  deleteIdentity(
    principal: Principal,
    idOrExternalId: string,
    deleteKeys: boolean,
  ): Promise<Result<{ deletedKeyIds: readonly string[] }>> {
    return this.#identities.deleteIdentity(principal, idOrExternalId, deleteKeys);
  }

  createApplication(
    principal: Principal,
    request: { name: string; description?: string | null | undefined },
  ): Promise<Result<Application>> {
    return this.#applications.createApplication(principal, request);
  }

  getApplication(principal: Principal, id: string): Promise<Result<Application>> {
    return this.#applications.getApplication(principal, id);
  }

  listApplications(
    principal: Principal,
    request: { limit: number; cursor?: string },
  ): Promise<Result<ApplicationPage>> {
    return this.#applications.listApplications(principal, request);
  }

  /**
   * A new tenant, only for the root credential: the organization, its default
   * application, and its first key, unrestricted within it, whose secret is shown once.
   */
  createOrganization(
    principal: Principal,
    request: { name: string },
  ): Promise<Result<{ organization: Organization; application: Application; adminKey: CreatedKey }>> {
    return this.#organizations.createOrganization(principal, request);
  }

  /** The organization's audit log, newest first, a page at a time. */
  listAuditEvents(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<AuditPage>> {
    return this.#audit.listAuditEvents(principal, request);
  }

  async checkHealth(): Promise<Result<void>> {
    try {
      await this.#context.store.ping();
      return ok(undefined);
    } catch {
      return fail('unavailable', 'The store is not reachable.');
    }
  }

  /** Writes pending last-use times now, instead of at the next interval. */
  flushUsage(): Promise<void> {
    return this.#context.usage.flush();
  }

  /** Writes pending last-use times and stops the background writer. */
  async close(): Promise<void> {
    await this.#context.usage.close();
  }
}

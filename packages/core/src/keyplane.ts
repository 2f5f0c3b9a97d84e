import { randomUUID } from 'node:crypto';
import { describeSecret, digestsEqual, generateSecret, hashSecret, isWellFormedSecret } from './key-format.js';
import type { ApiKey, Application, KeyStatus, Principal } from './model.js';
import { type Access, allows, covers, type KeyplaneAction, type KeyplaneResource, UNRESTRICTED } from './permissions.js';
import type { KeyChanges, KeyplaneStore } from './ports.js';
import { type Err, fail, ok, type Result } from './result.js';

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
  readonly access?: Access;
  readonly expiresAt?: Date | null;
}

export interface CreatedKey {
  readonly key: ApiKey;
  /** Shown once, at creation; only its digest is stored. */
  readonly secret: string;
}

export interface KeyplaneOptions {
  readonly now?: () => Date;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

const notFound = (): Err => fail('not_found', 'No API key with that id.');

/**
 * The domain's operations. Every one takes the calling principal, checks its
 * permission first and touches only that principal's organization.
 */
export class Keyplane {
  readonly #store: KeyplaneStore;
  readonly #now: () => Date;
  #root: { digest: string; organizationId: string } | null = null;

  constructor(store: KeyplaneStore, options: KeyplaneOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
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
      digest = hashSecret(configuredSecret);
    } else {
      const candidate = generateSecret();
      digest = await this.#store.putSettingIfAbsent(ROOT_CREDENTIAL_SETTING, hashSecret(candidate));
      if (digest === hashSecret(candidate)) generatedSecret = candidate;
    }
    this.#root = { digest, organizationId: organization.id };
    return { generatedSecret };
  }

  async authenticate(credential: string | undefined): Promise<Result<Principal>> {
    if (!credential) return fail('unauthenticated', 'No credential was presented.');
    const digest = hashSecret(credential);
    if (this.#root && digestsEqual(digest, this.#root.digest)) {
      return ok({ organizationId: this.#root.organizationId, keyId: null, access: UNRESTRICTED });
    }
    if (!isWellFormedSecret(credential)) return fail('unauthenticated', 'The credential is not valid.');
    const key = await this.#store.findKeyBySecretHash(digest);
    if (!key) return fail('unauthenticated', 'The credential is not valid.');
    if (key.status !== 'enabled') return fail('unauthenticated', 'The API key is disabled.');
    if (key.expiresAt && key.expiresAt.getTime() <= this.#now().getTime()) {
      return fail('unauthenticated', 'The API key has expired.');
    }
    return ok({ organizationId: key.organizationId, keyId: key.id, access: key.access });
  }

  async createKey(principal: Principal, request: NewKeyRequest): Promise<Result<CreatedKey>> {
    const denied = this.#require(principal, 'api_keys', 'create');
    if (denied) return denied;
    if (!covers(principal.access, request.access)) {
      return fail('forbidden', 'A key cannot grant permissions its creator does not hold.');
    }
    const application = request.applicationId
      ? await this.#store.findApplication(principal.organizationId, request.applicationId)
      : await this.#store.findDefaultApplication(principal.organizationId);
    if (!application) return fail('not_found', 'No application with that id.');

    const secret = generateSecret();
    const now = this.#now();
    const key = await this.#store.insertKey({
      id: randomUUID(),
      organizationId: principal.organizationId,
      applicationId: application.id,
      name: request.name,
      status: request.status ?? 'enabled',
      access: request.access,
      secretHash: hashSecret(secret),
      ...describeSecret(secret),
      createdBy: principal.keyId,
      createdAt: now,
      expiresAt: request.expiresAt ?? null,
    });
    return ok({ key, secret });
  }

  async listKeys(principal: Principal): Promise<Result<ApiKey[]>> {
    return this.#require(principal, 'api_keys', 'read') ?? ok(await this.#store.listKeys(principal.organizationId));
  }

  async getKey(principal: Principal, id: string, applicationId?: string): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'read', id);
    if (denied) return denied;
    const key = await this.#findKey(principal, id, applicationId);
    return key ? ok(key) : notFound();
  }

  async updateKey(principal: Principal, id: string, update: KeyUpdate): Promise<Result<ApiKey>> {
    const denied = this.#require(principal, 'api_keys', 'update', id);
    if (denied) return denied;
    if (update.access && !covers(principal.access, update.access)) {
      return fail('forbidden', 'A key cannot grant permissions its creator does not hold.');
    }
    if (!isUuid(id)) return notFound();
    const changes: KeyChanges = { ...update, updatedAt: this.#now() };
    const key = await this.#store.updateKey(principal.organizationId, id, changes);
    return key ? ok(key) : notFound();
  }

  /** Deletes the key for good. Only one of several concurrent deletes succeeds. */
  async deleteKey(principal: Principal, id: string, applicationId?: string): Promise<Result<void>> {
    const denied = this.#require(principal, 'api_keys', 'delete', id);
    if (denied) return denied;
    if (!isUuid(id)) return notFound();
    const deleted = await this.#store.deleteKey(principal.organizationId, id, applicationId);
    return deleted ? ok(undefined) : notFound();
  }

  async listApplications(principal: Principal): Promise<Result<Application[]>> {
    return (
      this.#require(principal, 'applications', 'read') ??
      ok(await this.#store.listApplications(principal.organizationId))
    );
  }

  async checkHealth(): Promise<Result<void>> {
    try {
      await this.#store.ping();
      return ok(undefined);
    } catch {
      return fail('unavailable', 'The store is not reachable.');
    }
  }

  async #findKey(principal: Principal, id: string, applicationId?: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const key = await this.#store.findKeyById(principal.organizationId, id);
    if (!key || (applicationId !== undefined && key.applicationId !== applicationId)) return null;
    return key;
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

import { randomUUID } from 'node:crypto';
import { auditEvent, type DomainContext } from './domain.js';
import { describeSecret, generateSecret } from './key-format.js';
import type { CreatedKey } from './keys.js';
import type { ApiKey, Application, Organization, Principal } from './model.js';
import { UNRESTRICTED } from './permissions.js';
import { fail, ok, type Result } from './result.js';

/** Tenants: every key, application, token and audit event belongs to one organization. */
export class Organizations {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
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
    const now = this.#context.now();
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
      secretHash: this.#context.digest(secret),
      ...describeSecret(secret),
      createdBy: null,
      createdAt: now,
      expiresAt: null,
      meta: null,
      ipAllowlist: null,
      externalId: null,
      roleIds: [],
      credits: null,
      ratelimits: [],
    };
    // The new organization's log starts with its own creation, by the root credential.
    const inNewOrganization = { ...principal, organizationId: organization.id };
    await this.#context.store.insertOrganization(organization, application, adminKey, [
      auditEvent(this.#context, inNewOrganization, 'organization.created', organization.id, { name: request.name }),
      auditEvent(this.#context, inNewOrganization, 'api_key.created', adminKey.id, {
        name: adminKey.name,
        applicationId: application.id,
      }),
    ]);
    const key = await this.#context.store.findKeyById(organization.id, adminKey.id);
    return ok({ organization, application, adminKey: { key: key as ApiKey, secret } });
  }
}

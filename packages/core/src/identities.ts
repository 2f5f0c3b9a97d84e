import { randomUUID } from 'node:crypto';
import { auditEvent, type DomainContext, requirePermission } from './domain.js';
import type { Identity, KeyMeta, NamedRateLimit, Principal } from './model.js';

export interface IdentityRequest {
  readonly externalId: string;
  readonly meta: KeyMeta | null;
  readonly ratelimits?: readonly NamedRateLimit[];
}

export interface IdentityUpdate {
  readonly externalId?: string;
  readonly meta?: KeyMeta | null;
  /** In place of those it has. */
  readonly ratelimits?: readonly NamedRateLimit[];
}

import { pageInCreationOrder } from './pagination.js';
import { fail, isErr, ok, type Result } from './result.js';

export interface IdentityPage {
  readonly identities: Identity[];
  readonly nextCursor: string | null;
}

const identityNotFound = () => fail('not_found', 'No identity with that id or external id.');
const externalIdTaken = () => fail('conflict', 'The organization already has an identity of that external id.');

/**
 * The platform's customers, each named by the platform's own id for it (`externalId`), whose
 * keys share what is kept here. Keys name their identity by that id and create it on first use.
 */
export class Identities {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  async createIdentity(principal: Principal, request: IdentityRequest): Promise<Result<Identity>> {
    const denied = requirePermission(principal, 'identities', 'create');
    if (denied) return denied;
    const now = this.#context.now();
    const identity: Identity = {
      id: randomUUID(),
      organizationId: principal.organizationId,
      externalId: request.externalId,
      meta: request.meta,
      ratelimits: request.ratelimits ?? [],
      createdAt: now,
      updatedAt: now,
    };
    const stored = await this.#context.store.insertIdentity(
      identity,
      auditEvent(this.#context, principal, 'identity.created', identity.id, { externalId: identity.externalId }),
    );
    return stored ? ok(stored) : externalIdTaken();
  }

  async getIdentity(principal: Principal, idOrExternalId: string): Promise<Result<Identity>> {
    const denied = requirePermission(principal, 'identities', 'read');
    if (denied) return denied;
    const identity = await this.#context.store.findIdentity(principal.organizationId, idOrExternalId);
    return identity ? ok(identity) : identityNotFound();
  }

  async listIdentities(
    principal: Principal,
    request: { limit: number; cursor?: string },
  ): Promise<Result<IdentityPage>> {
    const denied = requirePermission(principal, 'identities', 'read');
    if (denied) return denied;
    const { store, cursors } = this.#context;
    const page = await pageInCreationOrder(cursors, principal.organizationId, 'identities', request, (query) =>
      store.listIdentities(principal.organizationId, query),
    );
    return page.ok ? ok({ identities: page.value.items, nextCursor: page.value.nextCursor }) : page;
  }

  /** Changes an identity's external id or metadata; every key of it shows the change on its next use. */
  async updateIdentity(
    principal: Principal,
    idOrExternalId: string,
    update: IdentityUpdate,
  ): Promise<Result<Identity>> {
    const denied = requirePermission(principal, 'identities', 'update');
    if (denied) return denied;
    const found = await this.#context.store.findIdentity(principal.organizationId, idOrExternalId);
    if (!found) return identityNotFound();
    const updated = await this.#context.store.updateIdentity(principal.organizationId, found.id, (current) => ({
      change: {
        ...(update.externalId === undefined ? {} : { externalId: update.externalId }),
        ...(update.meta === undefined ? {} : { meta: update.meta }),
        ...(update.ratelimits === undefined ? {} : { ratelimits: update.ratelimits }),
        updatedAt: this.#context.now(),
      },
      audit: auditEvent(this.#context, principal, 'identity.updated', current.id, {
        fields: Object.keys(update).filter((field) => update[field as keyof typeof update] !== undefined),
      }),
    }));
    if (updated === null) return identityNotFound();
    if (updated === 'duplicate_external_id') return externalIdTaken();
    return isErr(updated) ? updated : ok(updated);
  }

  /**
   * Deletes an identity. One with keys is refused unless `deleteKeys`, which deletes them
   * with it (and needs `api_keys.delete` too); answered once every instance has dropped them.
   */
  async deleteIdentity(
    principal: Principal,
    idOrExternalId: string,
    deleteKeys: boolean,
  ): Promise<Result<{ deletedKeyIds: readonly string[] }>> {
    const denied =
      requirePermission(principal, 'identities', 'delete') ??
      (deleteKeys ? requirePermission(principal, 'api_keys', 'delete') : null);
    if (denied) return denied;
    const found = await this.#context.store.findIdentity(principal.organizationId, idOrExternalId);
    if (!found) return identityNotFound();
    const removed = await this.#context.store.deleteIdentity(principal.organizationId, found.id, {
      deleteKeys,
      audit: auditEvent(this.#context, principal, 'identity.deleted', found.id, {
        externalId: found.externalId,
        deleteKeys,
      }),
      keyAudit: (keyId) => auditEvent(this.#context, principal, 'api_key.deleted', keyId, { identityId: found.id }),
    });
    if (removed === null) return identityNotFound();
    if (removed === 'has_keys') {
      return fail('conflict', 'The identity still has keys: delete them first, or ask for deleteKeys=true.');
    }
    return ok({ deletedKeyIds: removed.deletedKeyIds });
  }
}

import { randomUUID } from 'node:crypto';
import { auditEvent, type DomainContext, escalation, requirePermission } from './domain.js';
import type { Principal, Role } from './model.js';
import { pageInCreationOrder } from './pagination.js';
import { covers, type Grant, normalizeGrants } from './permissions.js';
import { fail, isErr, ok, type Result } from './result.js';

export interface RolePage {
  readonly roles: Role[];
  readonly nextCursor: string | null;
}

const roleNotFound = () => fail('not_found', 'No role with that id or name.');
const nameTaken = () => fail('conflict', 'The organization already has a role of that name.');

/** What holding `grants` allows, as access a principal must cover to hand it out. */
const accessOf = (grants: readonly Grant[]) => ({ restricted: true as const, grants });

/**
 * Named sets of permissions that keys hold by holding the role. A change to a role reaches every
 * key holding it on the very next request, on every instance (the store's cache drops them all).
 * No one hands out through a role what they do not hold themselves.
 */
export class Roles {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  async createRole(principal: Principal, request: { name: string; grants: readonly Grant[] }): Promise<Result<Role>> {
    const denied = requirePermission(principal, 'roles', 'create');
    if (denied) return denied;
    const grants = normalizeGrants(request.grants);
    if (!covers(principal.access, accessOf(grants))) return escalation();
    const now = this.#context.now();
    const role: Role = {
      id: randomUUID(),
      organizationId: principal.organizationId,
      name: request.name,
      grants,
      createdAt: now,
      updatedAt: now,
    };
    const stored = await this.#context.store.insertRole(
      role,
      auditEvent(this.#context, principal, 'role.created', role.id, { name: role.name }),
    );
    return stored ? ok(stored) : nameTaken();
  }

  async getRole(principal: Principal, idOrName: string): Promise<Result<Role>> {
    const denied = requirePermission(principal, 'roles', 'read');
    if (denied) return denied;
    const role = await this.#context.store.findRole(principal.organizationId, idOrName);
    return role ? ok(role) : roleNotFound();
  }

  async listRoles(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<RolePage>> {
    const denied = requirePermission(principal, 'roles', 'read');
    if (denied) return denied;
    const { store, cursors } = this.#context;
    const page = await pageInCreationOrder(cursors, principal.organizationId, 'roles', request, (query) =>
      store.listRoles(principal.organizationId, query),
    );
    return page.ok ? ok({ roles: page.value.items, nextCursor: page.value.nextCursor }) : page;
  }

  /** Renames a role or replaces its permissions; adding permissions needs them held. */
  async updateRole(
    principal: Principal,
    idOrName: string,
    update: { name?: string; grants?: readonly Grant[] },
  ): Promise<Result<Role>> {
    const denied = requirePermission(principal, 'roles', 'update');
    if (denied) return denied;
    const found = await this.#context.store.findRole(principal.organizationId, idOrName);
    if (!found) return roleNotFound();
    const grants = update.grants === undefined ? undefined : normalizeGrants(update.grants);
    const updated = await this.#context.store.updateRole(principal.organizationId, found.id, (current) => {
      const added = grants?.filter((wanted) => !covers(accessOf(current.grants), accessOf([wanted]))) ?? [];
      if (!covers(principal.access, accessOf(added))) return escalation();
      return {
        change: {
          ...(update.name === undefined ? {} : { name: update.name }),
          ...(grants === undefined ? {} : { grants }),
          updatedAt: this.#context.now(),
        },
        audit: auditEvent(this.#context, principal, 'role.updated', current.id, {
          fields: Object.keys(update).filter((field) => update[field as keyof typeof update] !== undefined),
        }),
      };
    });
    if (updated === null) return roleNotFound();
    if (updated === 'duplicate_name') return nameTaken();
    return isErr(updated) ? updated : ok(updated);
  }

  /** Deletes the role: every key holding it loses its permissions at once. */
  async deleteRole(principal: Principal, idOrName: string): Promise<Result<void>> {
    const denied = requirePermission(principal, 'roles', 'delete');
    if (denied) return denied;
    const found = await this.#context.store.findRole(principal.organizationId, idOrName);
    if (!found) return roleNotFound();
    const deleted = await this.#context.store.deleteRole(
      principal.organizationId,
      found.id,
      auditEvent(this.#context, principal, 'role.deleted', found.id, { name: found.name }),
    );
    return deleted ? ok(undefined) : roleNotFound();
  }
}

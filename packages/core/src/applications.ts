import { randomUUID } from 'node:crypto';
import { auditEvent, type DomainContext, isCanonicalId, notFound, requirePermission } from './domain.js';
import type { Application, Principal } from './model.js';
import { pageInCreationOrder } from './pagination.js';
import { ok, type Result } from './result.js';

export interface ApplicationPage {
  readonly applications: Application[];
  readonly nextCursor: string | null;
}

/** Applications group an organization's keys; every organization has a default one. */
export class Applications {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  async createApplication(
    principal: Principal,
    request: { name: string; description?: string | null | undefined },
  ): Promise<Result<Application>> {
    const denied = requirePermission(principal, 'applications', 'create');
    if (denied) return denied;
    const application: Application = {
      id: randomUUID(),
      organizationId: principal.organizationId,
      name: request.name,
      description: request.description ?? null,
      isDefault: false,
      createdAt: this.#context.now(),
    };
    return ok(
      await this.#context.store.insertApplication(
        application,
        auditEvent(this.#context, principal, 'application.created', application.id, { name: request.name }),
      ),
    );
  }

  async getApplication(principal: Principal, id: string): Promise<Result<Application>> {
    const denied = requirePermission(principal, 'applications', 'read', id);
    if (denied) return denied;
    const application = await this.#findApplication(principal, id);
    return application ? ok(application) : notFound('application');
  }

  /** The organization's applications in creation order, a page at a time. */
  async listApplications(
    principal: Principal,
    request: { limit: number; cursor?: string },
  ): Promise<Result<ApplicationPage>> {
    const denied = requirePermission(principal, 'applications', 'read');
    if (denied) return denied;
    const { store, cursors } = this.#context;
    const page = await pageInCreationOrder(cursors, principal.organizationId, 'applications', request, (query) =>
      store.listApplications(principal.organizationId, query),
    );
    return page.ok ? ok({ applications: page.value.items, nextCursor: page.value.nextCursor }) : page;
  }

  async #findApplication(principal: Principal, id: string): Promise<Application | null> {
    return isCanonicalId(id) ? this.#context.store.findApplication(principal.organizationId, id) : null;
  }
}

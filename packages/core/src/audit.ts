import { type DomainContext, requirePermission } from './domain.js';
import type { AuditEvent, Principal } from './model.js';
import { badCursor } from './pagination.js';
import { ok, type Result } from './result.js';

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly nextCursor: string | null;
}

/** The record of every change, read back by its organization, newest first. */
export class AuditLog {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  /** The organization's audit log, newest first, a page at a time. */
  async listAuditEvents(principal: Principal, request: { limit: number; cursor?: string }): Promise<Result<AuditPage>> {
    const denied = requirePermission(principal, 'audit', 'read');
    if (denied) return denied;
    let beforeSequence: string | undefined;
    if (request.cursor !== undefined) {
      const sequence = this.#context.cursors.open(principal.organizationId, 'audit', request.cursor);
      if (sequence === null || !/^[1-9]\d{0,17}$/.test(sequence)) return badCursor();
      beforeSequence = sequence;
    }
    const events = await this.#context.store.listAuditEvents(principal.organizationId, {
      limit: request.limit + 1,
      ...(beforeSequence ? { beforeSequence } : {}),
    });
    const page = events.slice(0, request.limit);
    const last = page.at(-1)?.sequence;
    return ok({
      events: page,
      nextCursor:
        events.length > request.limit && last
          ? this.#context.cursors.seal(principal.organizationId, 'audit', last)
          : null,
    });
  }
}

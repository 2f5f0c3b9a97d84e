import type { CursorSealer } from './cursors.js';
import { isCanonicalId } from './domain.js';
import { type Err, fail, ok, type PaginationReason, type Result } from './result.js';

export const invalidPagination = (reason: PaginationReason, message: string): Err =>
  fail('invalid', message, { reason });
export const badCursor = (): Err => invalidPagination('bad_cursor', 'The cursor is not one this API returned.');

/** A position in a list ordered by creation: the time and id of the last item seen. */
export interface Position {
  readonly createdAt: Date;
  readonly id: string;
}

/** A sealed cursor holding the position after `last`, in the organization's `list`. */
export function cursorAfter(cursors: CursorSealer, organizationId: string, list: string, last: Position): string {
  return cursors.seal(organizationId, list, `${last.createdAt.toISOString()}|${last.id}`);
}

/** The position a cursor of the organization's `list` holds; null when it is not one this API sealed for it. */
export function positionOf(
  cursors: CursorSealer,
  organizationId: string,
  list: string,
  cursor: string,
): Position | null {
  const [time = '', id = '', ...rest] = (cursors.open(organizationId, list, cursor) ?? '').split('|');
  const createdAt = new Date(time);
  return rest.length === 0 && isCanonicalId(id) && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : null;
}

/** One page of a list in creation order, after the position a sealed cursor of that list holds. */
export async function pageInCreationOrder<T extends Position>(
  cursors: CursorSealer,
  organizationId: string,
  list: string,
  request: { readonly limit: number; readonly cursor?: string | undefined },
  read: (query: { limit: number; after?: Position }) => Promise<T[]>,
): Promise<Result<{ items: T[]; nextCursor: string | null }>> {
  let after: Position | undefined;
  if (request.cursor !== undefined) {
    const position = positionOf(cursors, organizationId, list, request.cursor);
    if (!position) return badCursor();
    after = position;
  }
  // One more than the page is read to learn whether there are more.
  const items = await read({ limit: request.limit + 1, ...(after ? { after } : {}) });
  const page = items.slice(0, request.limit);
  const last = page.at(-1);
  return ok({
    items: page,
    nextCursor: items.length > request.limit && last ? cursorAfter(cursors, organizationId, list, last) : null,
  });
}

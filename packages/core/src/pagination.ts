import type { CursorSealer } from './cursors.js';
import { isCanonicalId } from './domain.js';
import { type Err, fail, type PaginationReason } from './result.js';

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

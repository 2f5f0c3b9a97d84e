/** What went wrong, in the domain's words. Each dialect renders these at the edge. */
export type ErrorKind =
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'invalid'
  | 'conflict'
  | 'quota_exceeded'
  | 'unavailable';

/** Why a page was refused (`invalid`): after and before at once, a cursor key that does not exist, a cursor not sealed by this API. */
export type PaginationReason = 'both_cursors' | 'unknown_cursor' | 'bad_cursor';

/**
 * A finer reason within a kind, for dialects that word it their own way (`token_expired`:
 * `unauthenticated`; `address_not_allowed`: `forbidden`, a key used from outside its allowlist).
 */
export type ErrorReason = 'token_expired' | 'address_not_allowed' | PaginationReason;

export type IssueLocation = 'path' | 'query' | 'header' | 'body';

/** One reason a request was invalid, pointing at the offending field. */
export interface ValidationIssue {
  readonly location: IssueLocation;
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Machine-readable reason, e.g. `uuid_parsing`, `missing`, `too_long`. */
  readonly code: string;
}

export interface KeyplaneError {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly issues?: readonly ValidationIssue[];
  readonly reason?: ErrorReason;
}

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E = KeyplaneError> = { readonly ok: false; readonly error: E };
export type Result<T, E = KeyplaneError> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });

export const fail = (
  kind: ErrorKind,
  message: string,
  details: { issues?: readonly ValidationIssue[]; reason?: ErrorReason } = {},
): Err => ({ ok: false, error: { kind, message, ...details } });

export const isErr = (value: unknown): value is Err =>
  typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;

/** What went wrong, in the domain's words. Each dialect renders these at the edge. */
export type ErrorKind =
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'invalid'
  | 'malformed'
  | 'conflict'
  | 'quota_exceeded'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

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
  /** A finer reason within the kind, e.g. `invalid_pagination` or `token_expired`. */
  readonly reason?: string;
}

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E = KeyplaneError> = { readonly ok: false; readonly error: E };
export type Result<T, E = KeyplaneError> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });

export const fail = (
  kind: ErrorKind,
  message: string,
  details: { issues?: readonly ValidationIssue[]; reason?: string } = {},
): Err => ({ ok: false, error: { kind, message, ...details } });

export const isErr = (value: unknown): value is Err =>
  typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;

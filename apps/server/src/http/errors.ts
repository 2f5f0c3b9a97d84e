import type { Err, KeyplaneError } from '@keyplane/core';

/** What only HTTP can go wrong with: the request itself, the limits in front of the domain, or a bug. */
export type HttpErrorKind =
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  /** A body that does not parse as JSON. */
  | 'malformed'
  | 'rate_limited'
  | 'internal';

export interface HttpError {
  readonly kind: HttpErrorKind;
  readonly message: string;
  /** `rate_limited`: a client locked out after failed authentications, or a key over its rate. */
  readonly reason?: 'lockout' | 'key_rate';
}

/** Every error an answer may carry, the domain's and HTTP's own; each dialect renders them all. */
export type ApiError = KeyplaneError | HttpError;

export const httpError = (kind: HttpErrorKind, message: string, reason?: HttpError['reason']): Err<HttpError> => ({
  ok: false,
  error: { kind, message, ...(reason ? { reason } : {}) },
});

/** The validation issues an error points at, when it has any. */
export const issuesOf = (error: ApiError): KeyplaneError['issues'] => ('issues' in error ? error.issues : undefined);

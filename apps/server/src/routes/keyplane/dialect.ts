import { type Dialect, jsonResponse } from '../../http/dialect.js';
import type { ApiError } from '../../http/errors.js';
import { reasonPhrase } from '../../http/responses.js';

const STATUS: Record<ApiError['kind'], number> = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid: 400,
  malformed: 400,
  quota_exceeded: 403,
  conflict: 409,
  method_not_allowed: 405,
  not_acceptable: 406,
  unsupported_media_type: 415,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * keyplane's own operations answer errors as RFC 9457 problem details. The request id
 * travels in `X-Request-Id` only, so equal errors have equal bodies.
 */
export const keyplane: Dialect = {
  name: 'keyplane',
  renderError(c, error) {
    const status = STATUS[error.kind];
    return jsonResponse(
      c,
      {
        type: `urn:keyplane:error:${error.kind}`,
        title: reasonPhrase(status),
        status,
        detail: error.message,
      },
      status,
      { mediaType: 'application/problem+json' },
    );
  },
};

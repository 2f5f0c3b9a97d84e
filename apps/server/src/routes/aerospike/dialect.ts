import { type Dialect, jsonResponse } from '../../http/dialect.js';
import { type ApiError, issuesOf } from '../../http/errors.js';

const ANSWERS: Record<ApiError['kind'], { status: number; code: string }> = {
  unauthenticated: { status: 401, code: 'invalid_token' },
  forbidden: { status: 403, code: 'insufficient_scope' },
  not_found: { status: 404, code: 'not_found' },
  invalid: { status: 400, code: 'invalid_request' },
  malformed: { status: 400, code: 'invalid_request' },
  // Aerospike publishes no 415: a body that is not JSON is a bad request.
  unsupported_media_type: { status: 400, code: 'invalid_request' },
  payload_too_large: { status: 413, code: 'payload_too_large' },
  quota_exceeded: { status: 403, code: 'quota_exceeded' },
  conflict: { status: 409, code: 'conflict' },
  method_not_allowed: { status: 405, code: 'method_not_allowed' },
  not_acceptable: { status: 406, code: 'not_acceptable' },
  rate_limited: { status: 429, code: 'too_many_requests' },
  unavailable: { status: 503, code: 'service_unavailable' },
  internal: { status: 500, code: 'internal_error' },
};

/** Aerospike Cloud: bearer access tokens and errors as `{code, message, …}`. */
export const aerospike: Dialect = {
  name: 'aerospike',
  renderError(c, error) {
    const { status, code } = ANSWERS[error.kind];
    const issues = issuesOf(error);
    const body = {
      code,
      // The wording Aerospike's own clients know.
      message: error.reason === 'token_expired' ? 'The access token expired.' : error.message,
      ...(issues ? { errors: issues.map(({ path, message }) => ({ field: path.join('.'), message })) } : {}),
    };
    if (status === 401) c.header('WWW-Authenticate', `Bearer error="${code}"`);
    return jsonResponse(c, body, status);
  },
};

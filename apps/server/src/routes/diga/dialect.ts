import { type Dialect, jsonResponse } from '../../http/dialect.js';
import { type ApiError, issuesOf } from '../../http/errors.js';

const ANSWERS: Record<ApiError['kind'], { status: number; errorCode: string; message?: string }> = {
  // diga's bearer scheme answers a missing or bad credential with 403, as FastAPI does.
  unauthenticated: { status: 403, errorCode: 'NOT_AUTHENTICATED' },
  forbidden: { status: 403, errorCode: 'INSUFFICIENT_PERMISSIONS', message: 'Missing required permissions' },
  not_found: { status: 404, errorCode: 'API_KEY_NOT_FOUND', message: 'Api Key not found' },
  invalid: { status: 422, errorCode: 'VALIDATION_ERROR' },
  malformed: { status: 422, errorCode: 'VALIDATION_ERROR' },
  unsupported_media_type: { status: 422, errorCode: 'VALIDATION_ERROR' },
  payload_too_large: { status: 413, errorCode: 'PAYLOAD_TOO_LARGE' },
  quota_exceeded: { status: 403, errorCode: 'API_KEY_QUOTA_EXCEEDED' },
  conflict: { status: 409, errorCode: 'CONFLICT' },
  method_not_allowed: { status: 405, errorCode: 'METHOD_NOT_ALLOWED' },
  not_acceptable: { status: 406, errorCode: 'NOT_ACCEPTABLE' },
  rate_limited: { status: 429, errorCode: 'TOO_MANY_REQUESTS' },
  unavailable: { status: 503, errorCode: 'SERVICE_UNAVAILABLE' },
  internal: { status: 500, errorCode: 'INTERNAL_SERVER_ERROR', message: 'Error: Internal Server Error' },
};

/** Where FastAPI would point a body-level error that has no field. */
const bodyIssue = (error: ApiError) => ({
  loc: ['body'],
  msg: error.message,
  type: error.kind === 'unsupported_media_type' ? 'model_attributes_type' : 'json_invalid',
});

/** diga: `{status: "error", error_code, message}`, and FastAPI's 422 `{detail: […]}` for bad input. */
export const diga: Dialect = {
  name: 'diga',
  renderError(c, error) {
    const { status, errorCode, message } = ANSWERS[error.kind];
    if (status === 422) {
      const issues = issuesOf(error);
      const detail = issues
        ? issues.map((issue) => ({ loc: [issue.location, ...issue.path], msg: issue.message, type: issue.code }))
        : [bodyIssue(error)];
      return jsonResponse(c, { detail }, 422);
    }
    return jsonResponse(c, { status: 'error', error_code: errorCode, message: message ?? error.message }, status);
  },
};

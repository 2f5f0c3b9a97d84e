import { type Dialect, jsonResponse } from '../../http/dialect.js';
import { type ApiError, issuesOf } from '../../http/errors.js';
import { reasonPhrase } from '../../http/responses.js';

const ANSWERS: Record<ApiError['kind'], { status: number; message?: string }> = {
  unauthenticated: { status: 401, message: 'Authentication required. Please provide a valid API token' },
  forbidden: { status: 403, message: "You don't have permission to access this resource" },
  not_found: { status: 404, message: 'The requested resource was not found' },
  invalid: { status: 400, message: 'The request contains invalid parameters or malformed data' },
  malformed: { status: 400, message: 'The request contains invalid parameters or malformed data' },
  // Kadosei publishes 400 for any request it cannot take.
  unsupported_media_type: { status: 400, message: 'The request body must be application/json' },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  quota_exceeded: { status: 403 },
  conflict: { status: 409 },
  method_not_allowed: { status: 405 },
  not_acceptable: { status: 406 },
  rate_limited: { status: 429 },
  unavailable: { status: 503 },
  internal: { status: 500, message: 'Something went wrong on our side' },
};

/** Kadosei: `{error, message, code, details?}` with the reason phrase as `error`. */
export const kadosei: Dialect = {
  name: 'kadosei',
  renderError(c, error) {
    const { status, message } = ANSWERS[error.kind];
    const issues = issuesOf(error);
    const body = {
      error: reasonPhrase(status),
      message: message ?? error.message,
      code: status,
      ...(issues
        ? {
            details: issues.map((issue) => ({
              field: issue.path.join('.') || issue.location,
              message: issue.message,
            })),
          }
        : {}),
    };
    if (status === 401) c.header('WWW-Authenticate', 'Bearer');
    return jsonResponse(c, body, status);
  },
};

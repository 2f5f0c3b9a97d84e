import type { Context } from 'hono';
import { type Dialect, jsonResponse } from '../../http/dialect.js';
import type { AppEnv } from '../../http/env.js';
import { type ApiError, issuesOf } from '../../http/errors.js';
import { reasonPhrase } from '../../http/responses.js';
import { PRETTY_TRUE } from './schemas.js';

function statusOf(error: ApiError): number {
  switch (error.kind) {
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'not_acceptable':
      return 406;
    case 'quota_exceeded':
      // discue's plans hold a number of keys; more need another plan.
      return 402;
    case 'unsupported_media_type':
      return 415;
    case 'conflict':
      return 409;
    case 'invalid':
      // A malformed id or query flag is a bad request; a well-formed body that breaks
      // the schema is unprocessable.
      return issuesOf(error)?.some((issue) => issue.location === 'body') ? 422 : 400;
    case 'malformed':
      return 400;
    case 'payload_too_large':
      return 413;
    case 'rate_limited':
      // discue's documented lockout: after several invalid credentials, 403 for a while.
      return error.reason === 'lockout' ? 403 : 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}

/** Whether the request asked for its answer indented (`pretty`). */
export const isPretty = (c: Context<AppEnv>) => {
  const pretty = c.req.query('pretty');
  return pretty !== undefined && PRETTY_TRUE.includes(pretty.toLowerCase());
};

/** discue: `X-API-KEY`, `pretty`, and errors as exactly `{title, status}`. */
export const discue: Dialect = {
  name: 'discue',
  renderError(c, error) {
    const status = statusOf(error);
    return jsonResponse(c, { title: reasonPhrase(status), status }, status, { pretty: isPretty(c) });
  },
  renderJson(c, body, status) {
    return jsonResponse(c, body, status, { pretty: isPretty(c) });
  },
};

import { randomUUID } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { OpenAPIHono } from '@hono/zod-openapi';
import { loadOpenApiDocument } from '@keyplane/contract';
import type { Keyplane } from '@keyplane/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { SERVED_DIALECTS } from './dialects.js';
import { registerDocs } from './docs/docs.js';
import type { AppEnv } from './http/env.js';
import type { HttpError } from './http/errors.js';
import { registerOperations } from './http/operation.js';
import type { RateLimits } from './http/rate-limits.js';
import { routeTable } from './http/route-table.js';

export interface AppOptions {
  readonly keyplane: Keyplane;
  /** Called with every error that reached the top unhandled (a bug or an outage). */
  readonly onUnexpectedError?: (error: unknown, c: Context<AppEnv>) => void;
  /** Request and failed-authentication limits; none when absent. */
  readonly rateLimits?: RateLimits;
  /** Take the client's address from X-Forwarded-For, as the load balancer in front appended it. */
  readonly trustProxy?: boolean;
  /** True once the server is shutting down: answers then close their connection. */
  readonly isDraining?: () => boolean;
  /** Called once per request, after its answer, with what a request log line needs. */
  readonly onRequest?: (entry: {
    requestId: string;
    method: string;
    /** The route matched (`/v1/api_keys/:api_key_id`), never the raw path, which may hold anything. */
    route: string;
    status: number;
    durationMs: number;
  }) => void;
}

/** Maps what Hono's own validators throw (bad JSON, wrong media type) onto domain errors. */
function errorOfException(error: unknown): HttpError | null {
  if (!(error instanceof HTTPException)) return null;
  switch (error.status) {
    case 400:
      return { kind: 'malformed', message: 'The request body is not valid JSON.' };
    case 413:
      return { kind: 'payload_too_large', message: 'The request body is too large.' };
    case 415:
      return { kind: 'unsupported_media_type', message: 'The request body must be application/json.' };
    default:
      return null;
  }
}

/**
 * The client's address: the connection's peer, or, behind a trusted load balancer, the
 * last X-Forwarded-For entry — the one the balancer appended; the ones before it are
 * whatever the client chose to send.
 */
function clientAddressOf(c: Context<AppEnv>, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim() : undefined;
  if (forwarded) return forwarded;
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process';
  }
}

/** The whole HTTP surface: every dialect's operations over one Keyplane. */
export function createApp({
  keyplane,
  onUnexpectedError,
  isDraining,
  onRequest,
  rateLimits,
  trustProxy = false,
}: AppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: true });
  const table = routeTable(loadOpenApiDocument());

  // Headers are set on the context before any response exists, never on a response
  // afterwards: @hono/node-server's lightweight responses do not keep such late changes.
  app.use(async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.set('keyplane', keyplane);
    c.set('rateLimits', rateLimits);
    c.set('clientAddress', clientAddressOf(c, trustProxy));
    c.header('X-Request-Id', requestId);
    // Answers carry key secrets, access tokens and who holds which key: no cache, shared or
    // private, may keep any of them (RFC 9111, 5.2.2.5). One rule for every answer, so that
    // no operation that hands out a secret can be missed.
    c.header('Cache-Control', 'no-store');
    // While draining, clients are told not to reuse the connection, so that it can end.
    if (isDraining?.()) c.header('Connection', 'close');
    const started = performance.now();
    await next();
    onRequest?.({
      requestId,
      method: c.req.method,
      route: c.req.matchedRoutes.findLast((route) => route.method !== 'ALL')?.path ?? 'unmatched',
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  });

  registerDocs(app);

  const dialectOf = (path: string) => SERVED_DIALECTS[table.dialectOf(path)].dialect;

  for (const { dialect, operations } of Object.values(SERVED_DIALECTS)) {
    const routes = new OpenAPIHono<AppEnv>({ strict: true });
    routes.onError((error, c) => {
      const render = c.var.renderError ?? dialect.renderError;
      const known = errorOfException(error);
      if (known) return render(c, known);
      onUnexpectedError?.(error, c);
      return render(c, { kind: 'internal', message: 'Something went wrong on our side.' });
    });
    registerOperations(routes, dialect, operations);
    app.route('/', routes);
  }

  app.notFound((c) => {
    const allowed = table.methodsOf(c.req.path);
    const dialect = dialectOf(c.req.path);
    if (allowed.length === 0) {
      return dialect.renderError(c, { kind: 'not_found', message: 'No such resource.' });
    }
    c.header('Allow', allowed.join(', '));
    return dialect.renderError(c, { kind: 'method_not_allowed', message: `${c.req.method} is not allowed here.` });
  });

  app.onError((error, c) => {
    onUnexpectedError?.(error, c);
    return dialectOf(c.req.path).renderError(c, { kind: 'internal', message: 'Something went wrong on our side.' });
  });

  return app;
}

import { randomUUID } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { OpenAPIHono } from '@hono/zod-openapi';
import { loadOpenApiDocument } from '@keyplane/contract';
import type { Keyplane } from '@keyplane/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { SERVED_DIALECTS } from './dialects.js';
import { registerDocs } from './docs/docs.js';
import type { AppEnv, ReadinessState } from './http/env.js';
import type { HttpError } from './http/errors.js';
import { receiveUnreadBody } from './http/hygiene.js';
import type { ListLimits } from './http/list-limits.js';
import { registerOperations } from './http/operation.js';
import type { RateLimits } from './http/rate-limits.js';
import { routeTable } from './http/route-table.js';
import { Metrics } from './metrics.js';

export interface AppOptions {
  readonly keyplane: Keyplane;
  /** Called with every error that reached the top unhandled (a bug or an outage). */
  readonly onUnexpectedError?: (error: unknown, c: Context<AppEnv>) => void;
  /** Request and failed-authentication limits; none when absent. */
  readonly rateLimits?: RateLimits;
  /** Turns at listing per organization; none when absent. */
  readonly listLimits?: ListLimits;
  /** Take the client's address from X-Forwarded-For, as the load balancer in front appended it. */
  readonly trustProxy?: boolean;
  /** True once the server is shutting down: answers then close their connection. */
  readonly isDraining?: () => boolean;
  /** Called once per request, after its answer, with what a request log line needs. */
  readonly onRequest?: (entry: RequestEntry) => void;
  /** Where the app counts what it does; a registry of its own when absent. */
  readonly metrics?: Metrics;
  /** False when `/metrics` is served on a port of its own: it then answers 404 here. */
  readonly metricsHere?: boolean;
  /**
   * Readiness checks besides the store's (Redis, the schema version): each throws when failing,
   * and answers `degraded` when it works in a lesser way (the limits counted by one instance).
   * `/readyz` answers 503 naming the failing ones, and while the server drains.
   */
  readonly readinessChecks?: Readonly<Record<string, () => Promise<ReadinessState>>>;
}

type RequestEntry = {
  requestId: string;
  /** From a well-formed W3C `traceparent` the caller sent: its trace, and the caller's span. */
  traceId?: string;
  spanId?: string;
  method: string;
  /** The route matched (`/v1/api_keys/:api_key_id`), never the raw path, which may hold anything. */
  route: string;
  status: number;
  durationMs: number;
};

/** `version-traceid-parentid-flags`, lower-case hex (W3C Trace Context, 3.2). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace and span of a `traceparent` header; undefined when it is missing or malformed. */
export function traceOf(header: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = TRACEPARENT.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, version, traceId = '', spanId = '', , rest] = match;
  // Version ff is invalid; version 00 has nothing after the flags; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
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

/** Each operation's id by `METHOD /hono/:path`, for the metrics' labels. */
function operationIdsOf(document: Record<string, unknown>): Map<string, string> {
  const paths = (document.paths ?? {}) as Record<string, Record<string, { operationId?: string }>>;
  const ids = new Map<string, string>();
  for (const [template, item] of Object.entries(paths)) {
    const route = template.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, operation] of Object.entries(item)) {
      if (operation?.operationId) ids.set(`${method.toUpperCase()} ${route}`, operation.operationId);
    }
  }
  return ids;
}

const FORWARDED_PROTO = /^https?$/;
const FORWARDED_HOST = /^[\w.-]+(:\d{1,5})?$|^\[[\d:a-fA-F.]+\](:\d{1,5})?$/;

/** The address the client called: the request's, or, behind a trusted load balancer, the one it forwarded. */
function originOf(c: Context<AppEnv>, trustProxy: boolean): string {
  const own = new URL(c.req.url);
  if (!trustProxy) return own.origin;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  const scheme = proto && FORWARDED_PROTO.test(proto) ? proto : own.protocol.slice(0, -1);
  return `${scheme}://${host && FORWARDED_HOST.test(host) ? host : own.host}`;
}

/** The whole HTTP surface: every dialect's operations over one Keyplane. */
export function createApp({
  keyplane,
  onUnexpectedError,
  isDraining,
  onRequest,
  rateLimits,
  listLimits,
  trustProxy = false,
  metrics = new Metrics(),
  metricsHere = true,
  readinessChecks = {},
}: AppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: true });
  const table = routeTable(loadOpenApiDocument());
  const dialectOf = (path: string) => table.dialectOf(path);
  const rendererOf = (path: string) => SERVED_DIALECTS[table.dialectOf(path)].dialect;
  const operationIds = operationIdsOf(loadOpenApiDocument());
  const readiness = async () => {
    const checks: Record<string, () => Promise<ReadinessState>> = {
      store: async () => {
        const checked = await keyplane.checkHealth();
        if (!checked.ok) throw new Error(checked.error.message);
        return 'ok';
      },
      ...readinessChecks,
    };
    const outcomes = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          return [name, await check()] as const;
        } catch {
          return [name, null] as const;
        }
      }),
    );
    const failing = outcomes.filter(([, state]) => state === null).map(([name]) => name);
    if (isDraining?.()) failing.push('draining');
    const passing = outcomes.filter((outcome): outcome is readonly [string, ReadinessState] => outcome[1] !== null);
    return { failing, checks: Object.fromEntries(passing) };
  };

  // Headers are set on the context before any response exists, never on a response
  // afterwards: @hono/node-server's lightweight responses do not keep such late changes.
  app.use(async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.set('keyplane', keyplane);
    c.set('rateLimits', rateLimits);
    c.set('listLimits', listLimits);
    c.set('clientAddress', clientAddressOf(c, trustProxy));
    c.set('metrics', metrics);
    c.set('metricsHere', metricsHere);
    c.set('readiness', readiness);
    c.set('origin', () => originOf(c, trustProxy));
    const trace = traceOf(c.req.header('traceparent'));
    c.set('trace', trace);
    c.header('X-Request-Id', requestId);
    // Answers carry key secrets, access tokens and who holds which key: no cache, shared or
    // private, may keep any of them (RFC 9111, 5.2.2.5). One rule for every answer, so that
    // no operation that hands out a secret can be missed.
    c.header('Cache-Control', 'no-store');
    // While draining, clients are told not to reuse the connection, so that it can end.
    if (isDraining?.()) c.header('Connection', 'close');
    const started = performance.now();
    await next();
    await receiveUnreadBody(c);
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.matchedRoutes.findLast((matched) => matched.method !== 'ALL')?.path ?? 'unmatched';
    const operation = operationIds.get(`${c.req.method === 'HEAD' ? 'GET' : c.req.method} ${route}`) ?? 'unmatched';
    const dialect = dialectOf(c.req.path);
    metrics.observeRequest(dialect, operation, c.res.status, seconds);
    onRequest?.({
      requestId,
      ...trace,
      method: c.req.method,
      route,
      status: c.res.status,
      durationMs: Math.round(seconds * 100_000) / 100,
    });
  });

  registerDocs(app);

  for (const { dialect, operations } of Object.values(SERVED_DIALECTS)) {
    const routes = new OpenAPIHono<AppEnv>({ strict: true });
    routes.onError((error, c) => {
      const render = c.get('renderError') ?? dialect.renderError;
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
    const dialect = rendererOf(c.req.path);
    if (allowed.length === 0) {
      return dialect.renderError(c, { kind: 'not_found', message: 'No such resource.' });
    }
    c.header('Allow', allowed.join(', '));
    return dialect.renderError(c, { kind: 'method_not_allowed', message: `${c.req.method} is not allowed here.` });
  });

  app.onError((error, c) => {
    onUnexpectedError?.(error, c);
    return rendererOf(c.req.path).renderError(c, { kind: 'internal', message: 'Something went wrong on our side.' });
  });

  return app;
}

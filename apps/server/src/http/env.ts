import type { Keyplane, Principal } from '@keyplane/core';
import type { Context } from 'hono';
import type { Metrics } from '../metrics.js';
import type { ApiError } from './errors.js';
import type { ListLimits } from './list-limits.js';
import type { RateLimits } from './rate-limits.js';

/** How a readiness check passed: fully, or in a lesser way that still serves every request. */
export type ReadinessState = 'ok' | 'degraded';

export type RenderError = (c: Context<AppEnv>, error: ApiError) => Response;

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Variables: {
    keyplane: Keyplane;
    requestId: string;
    principal: Principal;
    /** How this request's errors are rendered: its dialect's way, or its operation's own. */
    renderError: RenderError;
    /** Request limits, when the server has them. */
    rateLimits: RateLimits | undefined;
    /** Turns at listing per organization, when the server has them. */
    listLimits: ListLimits | undefined;
    /** The calling client's address, for the failed-authentication limit. */
    clientAddress: string;
    /** The app's metrics. */
    metrics: Metrics;
    /** Whether `/metrics` is served here (not on a port of its own). */
    metricsHere: boolean;
    /** Runs the readiness checks: the names of those failing, and of all checked. */
    readiness: () => Promise<{ failing: string[]; checks: Record<string, ReadinessState> }>;
    /**
     * `scheme://host[:port]` the client called: from the request, or, behind a trusted proxy, from
     * `X-Forwarded-Proto` and `X-Forwarded-Host`.
     */
    origin: () => string;
    /** The W3C trace context the caller sent (`traceparent`), when well formed. */
    trace: { traceId: string; spanId: string } | undefined;
  };
}

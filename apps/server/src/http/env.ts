import type { Keyplane, Principal } from '@keyplane/core';
import type { Context } from 'hono';
import type { ApiError } from './errors.js';
import type { RateLimits } from './rate-limits.js';

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
    /** The calling client's address, for the failed-authentication limit. */
    clientAddress: string;
  };
}

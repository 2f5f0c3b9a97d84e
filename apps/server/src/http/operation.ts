import type { OpenAPIHono, RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { Err } from '@keyplane/core';
import type { MiddlewareHandler } from 'hono';
import { authenticate } from './authenticate.js';
import type { ContractMismatch, OperationOf, SpecResponseBody } from './contract.js';
import { type Dialect, jsonResponse } from './dialect.js';
import type { AppEnv, RenderError } from './env.js';
import type { ApiError } from './errors.js';
import { limitBody, negotiate } from './hygiene.js';
import { limitLists } from './list-limits.js';
import { validationError } from './validation.js';

type Responses<Op> = Op extends { responses: infer R } ? R : never;
type SuccessStatus<Op> = Extract<keyof Responses<Op>, 200 | 201 | 202 | 204>;

/**
 * What a handler may answer, read from the generated contract: one of the operation's
 * success statuses with exactly the body the contract declares for it, or none where it
 * declares none. Errors are domain values, rendered by the dialect.
 */
/**
 * A body as handlers build it: an optional property may be given as `undefined` (zod's
 * outputs spell it out), which JSON then leaves out, as the contract's optional property.
 */
type Lenient<T> = T extends readonly (infer Item)[]
  ? Lenient<Item>[]
  : T extends object
    ? { [K in keyof T]: Pick<T, K> extends Required<Pick<T, K>> ? Lenient<T[K]> : Lenient<T[K]> | undefined }
    : T;

type Outcome<Op> = {
  [S in SuccessStatus<Op>]: [SpecResponseBody<Responses<Op>[S]>] extends [never]
    ? { readonly status: S; readonly headers?: Record<string, string> }
    : {
        readonly status: S;
        readonly body: Lenient<SpecResponseBody<Responses<Op>[S]>>;
        readonly headers?: Record<string, string>;
      };
}[SuccessStatus<Op>];

export type OperationContext<R extends RouteConfig> = Parameters<RouteHandler<R, AppEnv>>[0];

export type OperationHandler<R extends RouteConfig> = (
  c: OperationContext<R>,
) => Promise<Outcome<OperationOf<R>> | Err<ApiError>>;

export interface OperationOptions {
  /** Operations the contract marks `security: []` skip authentication. */
  readonly public?: boolean;
  /** Errors of this operation are rendered its own way (the OAuth token endpoint). */
  readonly renderError?: RenderError;
  /** Lists many rows: one organization's such requests take turns (`ListLimits`). */
  readonly lists?: boolean;
}

export interface Operation {
  readonly route: RouteConfig;
  readonly options: OperationOptions;
  readonly handler: (
    c: OperationContext<RouteConfig>,
  ) => Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | Err<ApiError>>;
}

type ContractChecked<R extends RouteConfig> = [ContractMismatch<R>] extends [never]
  ? unknown
  : { contractMismatch: ContractMismatch<R> };

/**
 * Binds a route to its handler. The route must match its operation in the contract
 * (or the call does not type-check), and the handler's answers are typed by the
 * contract, including operations whose responses have no content.
 */
export function defineOperation<const R extends RouteConfig>(
  route: R & ContractChecked<R>,
  handler: OperationHandler<R>,
  options: OperationOptions = {},
): Operation {
  return { route, handler: handler as unknown as Operation['handler'], options };
}

/** Registers operations on `app`, rendering their outcomes and errors the dialect's way. */
export function registerOperations(app: OpenAPIHono<AppEnv>, dialect: Dialect, operations: readonly Operation[]) {
  for (const { route, handler, options } of operations) {
    const renderError = options.renderError ?? dialect.renderError;
    const chooseRenderer: MiddlewareHandler<AppEnv> = async (c, next) => {
      c.set('renderError', renderError);
      await next();
    };
    const hygiene = [chooseRenderer, negotiate, limitBody];
    const middleware = options.public ? hygiene : [...hygiene, authenticate, ...(options.lists ? [limitLists] : [])];
    const respond = async (c: OperationContext<RouteConfig>) => {
      const outcome = await handler(c);
      if ('ok' in outcome) return renderError(c, outcome.error);
      for (const [name, value] of Object.entries(outcome.headers ?? {})) c.header(name, value);
      if (!('body' in outcome)) {
        // No body, so no Content-Type: clients that parse by media type would trip on one.
        // (@hono/node-server before 2 gave every such answer text/plain on the wire.)
        return outcome.status === 204
          ? c.body(null, 204)
          : c.body(null, outcome.status as 200, { 'Content-Length': '0' });
      }
      // A text answer (`/metrics`): sent as it is, with the media type the handler set.
      if (typeof outcome.body === 'string') return c.body(outcome.body, outcome.status as 200);
      return dialect.renderJson
        ? dialect.renderJson(c, outcome.body, outcome.status)
        : jsonResponse(c, outcome.body, outcome.status);
    };
    const hook = (result: { success: boolean; target: string; error?: unknown }, c: OperationContext<RouteConfig>) =>
      result.success ? undefined : renderError(c, validationError(result.target, result.error as never));
    // The handler's typing is enforced by defineOperation against the contract; zod-openapi's
    // own return-type check is weaker (it gives up when any response has no content).
    app.openapi({ ...route, middleware }, respond as never, hook as never);
  }
}

import type { OpenAPIHono, RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { Err } from '@keyplane/core';
import { authenticate } from './authenticate.js';
import type { ContractMismatch, OperationOf, SpecResponseBody } from './contract.js';
import { type Dialect, jsonResponse } from './dialect.js';
import type { AppEnv } from './env.js';

type Responses<Op> = Op extends { responses: infer R } ? R : never;
type SuccessStatus<Op> = Extract<keyof Responses<Op>, 200 | 201 | 202 | 204>;

/**
 * What a handler may answer, read from the generated contract: one of the operation's
 * success statuses with exactly the body the contract declares for it, or none where it
 * declares none. Errors are domain values, rendered by the dialect.
 */
export type Outcome<Op> = {
  [S in SuccessStatus<Op>]: [SpecResponseBody<Responses<Op>[S]>] extends [never]
    ? { readonly status: S }
    : { readonly status: S; readonly body: SpecResponseBody<Responses<Op>[S]> };
}[SuccessStatus<Op>];

export type OperationContext<R extends RouteConfig> = Parameters<RouteHandler<R, AppEnv>>[0];

export type OperationHandler<R extends RouteConfig> = (
  c: OperationContext<R>,
) => Promise<Outcome<OperationOf<R>> | Err>;

export interface Operation {
  readonly route: RouteConfig;
  /** Operations the contract marks `security: []` skip authentication. */
  readonly public: boolean;
  readonly handler: (c: OperationContext<RouteConfig>) => Promise<{ status: number; body?: unknown } | Err>;
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
  options: { public?: boolean } = {},
): Operation {
  return { route, handler: handler as unknown as Operation['handler'], public: options.public ?? false };
}

/** Registers operations on `app`, rendering their outcomes and errors the dialect's way. */
export function registerOperations(app: OpenAPIHono<AppEnv>, dialect: Dialect, operations: readonly Operation[]) {
  const requireCredential = authenticate(dialect);
  for (const operation of operations) {
    const route = { ...operation.route, middleware: operation.public ? [] : [requireCredential] };
    const handler = async (c: OperationContext<RouteConfig>) => {
      const outcome = await operation.handler(c);
      if ('ok' in outcome) return dialect.renderError(c, outcome.error);
      if (!('body' in outcome)) {
        return outcome.status === 204 ? c.body(null, 204) : c.body(null, outcome.status as 200, { 'Content-Length': '0' });
      }
      return dialect.renderJson ? dialect.renderJson(c, outcome.body, outcome.status) : jsonResponse(c, outcome.body, outcome.status);
    };
    // The handler's typing is enforced by defineOperation against the contract; zod-openapi's
    // own return-type check is weaker (it gives up when any response has no content).
    app.openapi(route, handler as never);
  }
}

import type { KeyplaneError } from '@keyplane/core';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';

/**
 * A dialect is a thin translation at the edge: how it renders keyplane's errors, how
 * it writes a success body, and whether a missing credential is 401 or (diga) 403.
 */
export interface Dialect {
  readonly name: string;
  /** Renders a domain error in the dialect's own body and status. */
  renderError(c: Context<AppEnv>, error: KeyplaneError): Response;
  /** Writes a JSON body; discue pretty-prints it on request. */
  renderJson?(c: Context<AppEnv>, body: unknown, status: number): Response;
}

/** A JSON response; `pretty` indents it for people reading it in a terminal. */
export function jsonResponse(
  c: Context<AppEnv>,
  body: unknown,
  status: number,
  mediaType = 'application/json',
  pretty = false,
): Response {
  const text = pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body);
  return c.body(text, status as 200, { 'Content-Type': `${mediaType}; charset=UTF-8` });
}

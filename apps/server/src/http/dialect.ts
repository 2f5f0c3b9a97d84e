import type { DialectName } from '@keyplane/contract';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import type { ApiError } from './errors.js';
import { JsonText } from './json-in-slices.js';

/**
 * A dialect is a thin translation at the edge: how it renders keyplane's errors, how
 * it writes a success body, and whether a missing credential is 401 or (diga) 403.
 */
export interface Dialect {
  readonly name: DialectName;
  /** Renders an error in the dialect's own body and status. */
  renderError(c: Context<AppEnv>, error: ApiError): Response;
  /** Writes a JSON body; discue pretty-prints it on request. */
  renderJson?(c: Context<AppEnv>, body: unknown, status: number): Response;
}

export interface JsonOptions {
  /** The media type, `application/json` unless told (problem details have their own). */
  readonly mediaType?: string;
  /** Indent for people reading it in a terminal (discue's `pretty`). */
  readonly pretty?: boolean;
}

/** A JSON response; a `JsonText` body is already written, in the form asked for. */
export function jsonResponse(
  c: Context<AppEnv>,
  body: unknown,
  status: number,
  { mediaType = 'application/json', pretty = false }: JsonOptions = {},
): Response {
  let text: string;
  if (body instanceof JsonText) text = body.text;
  else text = pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body);
  return c.body(text, status as 200, { 'Content-Type': `${mediaType}; charset=UTF-8` });
}

import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The credential of a request: `X-API-KEY: <key>` (discue) or `Authorization: Bearer
 * <key>` (the other dialects). Every dialect accepts both, so one key works everywhere.
 */
export function credentialOf(header: (name: string) => string | undefined): string | undefined {
  const apiKey = header('x-api-key');
  if (apiKey !== undefined) return apiKey.trim();
  const authorization = header('authorization');
  return authorization === undefined ? undefined : (BEARER.exec(authorization)?.[1] ?? '');
}

/** Resolves the calling principal, or answers in the request's own error body. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = credentialOf((name) => c.req.header(name));
  const result = await c.var.keyplane.authenticate(credential, c.var.requestId);
  if (!result.ok) return c.var.renderError(c, result.error);
  c.set('principal', result.value);
  await next();
};

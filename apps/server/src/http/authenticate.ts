import { type Err, fail } from '@keyplane/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { type Allowance, rateLimitHeaders } from './rate-limits.js';

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

/** The error of going over a limit; the answer gets the headers that say when to come back. */
export function overLimit(c: Context<AppEnv>, allowance: Allowance, reason: 'lockout' | 'key_rate'): Err {
  for (const [name, value] of Object.entries(rateLimitHeaders(allowance))) c.header(name, value);
  const message =
    reason === 'lockout'
      ? 'Too many failed authentications from this client; try again later.'
      : 'Too many requests for this key; try again later.';
  return fail('rate_limited', message, { reason });
}

const refuseOverLimit = (c: Context<AppEnv>, allowance: Allowance, reason: 'lockout' | 'key_rate') =>
  c.var.renderError(c, overLimit(c, allowance, reason).error);

/**
 * Resolves the calling principal, or answers in the request's own error body. A client
 * address locked out after too many failed authentications is refused before its
 * credential is even looked at; a key over its request rate is refused after.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const limits = c.var.rateLimits;
  const lockout = await limits?.lockout(c.var.clientAddress);
  if (lockout) return refuseOverLimit(c, lockout, 'lockout');
  const credential = credentialOf((name) => c.req.header(name));
  const result = await c.var.keyplane.authenticate(credential, c.var.requestId);
  if (!result.ok) {
    await limits?.recordFailure(c.var.clientAddress);
    return c.var.renderError(c, result.error);
  }
  c.set('principal', result.value);
  // The root credential is the operator's: it is not rate limited.
  const allowance = result.value.keyId === null ? null : await limits?.consume(result.value.keyId);
  if (allowance && !allowance.allowed) return refuseOverLimit(c, allowance, 'key_rate');
  if (allowance) for (const [name, value] of Object.entries(rateLimitHeaders(allowance))) c.header(name, value);
  await next();
};

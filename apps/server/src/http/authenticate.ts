import type { Err, Result } from '@keyplane/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { type HttpError, httpError } from './errors.js';
import { type Allowance, type CountedAttempt, rateLimitHeaders } from './rate-limits.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The credential of a request: `X-API-KEY: <key>` (discue) or `Authorization: Bearer
 * <key>` (the other dialects). Every dialect accepts both, so one key works everywhere.
 */
function credentialOf(header: (name: string) => string | undefined): string | undefined {
  const apiKey = header('x-api-key');
  if (apiKey !== undefined) return apiKey.trim();
  const authorization = header('authorization');
  return authorization === undefined ? undefined : (BEARER.exec(authorization)?.[1] ?? '');
}

/** The error of going over a limit; the answer gets the headers that say when to come back. */
export function overLimit(c: Context<AppEnv>, allowance: Allowance, reason: 'lockout' | 'key_rate'): Err<HttpError> {
  for (const [name, value] of Object.entries(rateLimitHeaders(allowance))) c.header(name, value);
  if (reason === 'lockout') c.get('metrics')?.lockouts.inc();
  else c.get('metrics')?.rateLimitRefusals.inc();
  const message =
    reason === 'lockout'
      ? 'Too many failed authentications from this client; try again later.'
      : 'Too many requests for this key; try again later.';
  return httpError('rate_limited', message, reason);
}

const refuseOverLimit = (c: Context<AppEnv>, allowance: Allowance, reason: 'lockout' | 'key_rate') =>
  c.get('renderError')(c, overLimit(c, allowance, reason).error);

/**
 * Resolves the calling principal, or answers in the request's own error body. Every
 * attempt counts towards its client address's lockout before the credential is looked
 * at, and gives its point back unless the credential was wrong; a key over its request
 * rate is refused after.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const attempt = await c.get('rateLimits')?.attemptAuthentication(c.get('clientAddress'));
  if (attempt?.lockedOut) return refuseOverLimit(c, attempt.lockedOut, 'lockout');
  const credential = credentialOf((name) => c.req.header(name));
  const result = await settle(attempt, () => c.get('keyplane').authenticate(credential, c.get('requestId')));
  if (!result.ok) {
    if (result.error.kind === 'unauthenticated') {
      const reason = credential === undefined ? 'missing' : (result.error.reason ?? 'invalid');
      c.get('metrics')?.authenticationFailures.inc({ reason });
    }
    return c.get('renderError')(c, result.error);
  }
  c.set('principal', result.value);
  // The root credential is the operator's: it is not rate limited.
  const limits = c.get('rateLimits');
  const allowance = result.value.keyId === null ? null : await limits?.consume(result.value.keyId);
  if (allowance && !allowance.allowed) return refuseOverLimit(c, allowance, 'key_rate');
  if (allowance) for (const [name, value] of Object.entries(rateLimitHeaders(allowance))) c.header(name, value);
  await next();
};

/**
 * Looks a credential up within its counted attempt: a wrong credential stays counted;
 * anything else — a good one, or an outage that judged nothing — gives the point back.
 */
export async function settle<T>(
  attempt: CountedAttempt | undefined,
  lookUp: () => Promise<Result<T>>,
): Promise<Result<T>> {
  let result: Result<T>;
  try {
    result = await lookUp();
  } catch (error) {
    attempt?.giveBack();
    throw error;
  }
  if (!result.ok && result.error.kind === 'unauthenticated') await attempt?.countFailure();
  else attempt?.giveBack();
  return result;
}

import { type CredentialCheck, guardCredential, ok, type Result } from '@keyplane/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { type ApiError, httpError } from './errors.js';
import { rateLimitHeaders } from './rate-limits.js';

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

/**
 * A credential attempt under the request's limits (see `guardCredential`), its refusals in
 * the request's own terms: a client over a limit is told when to come back, and counted.
 */
export async function attemptCredential<T>(
  c: Context<AppEnv>,
  check: CredentialCheck<T>,
  keyIdOf: (value: T) => string | null,
): Promise<Result<T, ApiError>> {
  const guarded = await guardCredential(c.get('rateLimits'), c.get('clientAddress'), check, keyIdOf);
  if (!guarded.ok) {
    const { error } = guarded;
    if (error.kind !== 'rate_limited') return { ok: false, error };
    for (const [name, value] of Object.entries(rateLimitHeaders(error.allowance))) c.header(name, value);
    if (error.reason === 'lockout') c.get('metrics')?.lockouts.inc();
    else c.get('metrics')?.rateLimitRefusals.inc();
    return httpError('rate_limited', error.message, error.reason);
  }
  const { value, allowance } = guarded.value;
  if (allowance) for (const [name, header] of Object.entries(rateLimitHeaders(allowance))) c.header(name, header);
  return ok(value);
}

/**
 * Resolves the calling principal, or answers in the request's own error body; a key over
 * its request rate is refused after.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = credentialOf((name) => c.req.header(name));
  const check = c.get('keyplane').authentication(credential, c.get('requestId'), c.get('clientAddress'));
  // The root credential is the operator's: it is not rate limited.
  const result = await attemptCredential(c, check, (principal) => principal.keyId);
  if (!result.ok) {
    if (result.error.kind === 'unauthenticated') {
      const reason = credential === undefined ? 'missing' : (result.error.reason ?? 'invalid');
      c.get('metrics')?.authenticationFailures.inc({ reason });
    }
    return c.get('renderError')(c, result.error);
  }
  c.set('principal', result.value);
  await next();
};

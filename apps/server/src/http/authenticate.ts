import { type CredentialCheck, type Err, fail, type Result } from '@keyplane/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { type ApiError, type HttpError, httpError } from './errors.js';
import { type Allowance, rateLimitHeaders } from './rate-limits.js';

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

/**
 * Judges a credential of the request's client address under its lockout: refused while the
 * address is locked out; proven from memory with no more ado when it can be; otherwise looked
 * up under one of the address's points (waiting in line for one when all are taken), which
 * stays taken as a failure when the credential is wrong and comes back the moment it is not.
 */
export async function attemptCredential<T>(
  c: Context<AppEnv>,
  check: CredentialCheck<T>,
): Promise<Result<T, ApiError>> {
  const limits = c.get('rateLimits');
  const client = c.get('clientAddress');
  const lockedOut = await limits?.lockedOut(client);
  if (lockedOut) return overLimit(c, lockedOut, 'lockout');
  let proven = await check.proveFromMemory();
  if (proven) return proven;
  const provenYet = async () => {
    proven = await check.proveFromMemory();
    return proven !== undefined;
  };
  const admission = limits ? await limits.admit(client, provenYet) : undefined;
  if (admission && !admission.admitted) {
    if (admission.proven && proven) return proven;
    return admission.lockedOut
      ? overLimit(c, admission.lockedOut, 'lockout')
      : fail('unavailable', 'Too many credentials of this client are being looked up; try again shortly.');
  }
  let result: Result<T>;
  try {
    // While it waited, another look-up may have brought its credential into memory.
    result = (admission?.waited && (await provenYet()) ? proven : undefined) ?? (await check.lookUp());
  } catch (error) {
    admission?.release();
    throw error;
  }
  if (!result.ok && result.error.kind === 'unauthenticated') await admission?.fail();
  else admission?.release();
  return result;
}

/**
 * Resolves the calling principal, or answers in the request's own error body; a key over
 * its request rate is refused after.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = credentialOf((name) => c.req.header(name));
  const check = c.get('keyplane').authentication(credential, c.get('requestId'), c.get('clientAddress'));
  const result = await attemptCredential(c, check);
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
  if (allowance && !allowance.allowed) return c.get('renderError')(c, overLimit(c, allowance, 'key_rate').error);
  if (allowance) for (const [name, value] of Object.entries(rateLimitHeaders(allowance))) c.header(name, value);
  await next();
};

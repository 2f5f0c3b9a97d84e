import type { MiddlewareHandler } from 'hono';
import { createVerifier, type KeyplaneAuthOptions, type VerifiedKey } from './verify.js';

/** The context variables the middleware sets; `new Hono<KeyplaneEnv>()` types `c.get('keyplaneKey')`. */
export interface KeyplaneVariables {
  keyplaneKey: VerifiedKey;
}

export interface KeyplaneEnv {
  Variables: KeyplaneVariables;
}

/**
 * Hono middleware: verifies the caller's key with keyplane on every request (no cache, so a
 * revocation holds from the next request on), puts it on the context as `keyplaneKey`, and
 * answers 401 (no key, or one that is unknown, disabled or expired), 403 (a permission is
 * missing) or 503 (keyplane could not be asked) without calling the handler.
 */
export function keyplaneAuth(options: KeyplaneAuthOptions): MiddlewareHandler<KeyplaneEnv> {
  const verify = createVerifier(options);
  return async (c, next) => {
    const verdict = await verify(c.req.raw);
    if (!verdict.ok) return verdict.response;
    c.set('keyplaneKey', verdict.key);
    await next();
  };
}

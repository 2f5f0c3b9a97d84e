import { type Credential, type components, createKeyplaneClient, type KeyplaneClient } from '@keyplane/client';

/** The caller's key as keyplane verified it, for the handler to use. */
export interface VerifiedKey {
  readonly keyId: string;
  readonly applicationId: string;
  readonly name: string;
  /** The key's permissions; `null` when the key is unrestricted. */
  readonly permissions: readonly string[] | null;
  /** When the key stops working; `null` when it never expires. */
  readonly expiresAt: string | null;
}

export interface KeyplaneAuthOptions {
  /** keyplane's address, e.g. `https://keyplane.example.com`. */
  readonly baseUrl: string;
  /**
   * The platform's own keyplane key (one holding `api_keys.verify`), as a string (sent as a
   * bearer token) or as the client's `{ apiKey }` / `{ bearer }`. Never the caller's key.
   */
  readonly credential: string | Credential;
  /** Permissions the caller's key must hold, every one: `resource.action` or `resource.action:target`. */
  readonly permissions?: readonly string[];
  /**
   * The one header the caller's key is read from, sent as is. By default it is read from
   * `X-API-KEY`, else from `Authorization: Bearer <key>`.
   */
  readonly header?: string;
  /** How long to wait for keyplane before answering 503, in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /** The fetch keyplane is called with (tests, proxies, service bindings). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /**
   * Told why keyplane could not be asked (unreachable, too slow, or it refused the platform's
   * credential) each time a request is answered 503: for your logs.
   */
  readonly onError?: (error: unknown) => void;
}

/** The outcome for one request: the verified key, or the answer to give instead (401, 403 or 503). */
export type Verdict =
  | { readonly ok: true; readonly key: VerifiedKey }
  | { readonly ok: false; readonly response: Response };

const PERMISSION = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(:[^\s]+)?$/;
/** keyplane's verify operation takes keys of at most this length; a longer one is no key of it. */
const MAX_KEY_LENGTH = 512;

function problem(status: 401 | 403 | 503, title: string, detail: string, headers: Record<string, string> = {}) {
  const body = { type: 'about:blank', title, status, detail };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

const unauthorized = (detail: string, error?: 'invalid_token') =>
  problem(401, 'Unauthorized', detail, {
    'WWW-Authenticate': error ? `Bearer realm="keyplane", error="${error}"` : 'Bearer realm="keyplane"',
  });

function presentedKey(request: Request, header: string | undefined): string | undefined {
  if (header) return request.headers.get(header)?.trim() || undefined;
  const apiKey = request.headers.get('X-API-KEY')?.trim();
  if (apiKey) return apiKey;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get('Authorization') ?? '');
  return match?.[1];
}

/**
 * A verifier for requests: built once (the options are checked here), used for every request.
 *
 * Nothing is cached: every request is verified by keyplane, so a key revoked, disabled or
 * rotated stops working on the very next request. A cache of positive answers would keep a
 * revoked key working until its entry expired. When keyplane cannot answer, the request is
 * refused with 503: it is never let through unverified.
 */
export function createVerifier(options: KeyplaneAuthOptions): (request: Request) => Promise<Verdict> {
  const permissions = [...(options.permissions ?? [])];
  const malformed = permissions.filter((permission) => !PERMISSION.test(permission));
  if (malformed.length > 0) {
    throw new TypeError(`keyplane permissions are resource.action[:target]; not: ${malformed.join(', ')}`);
  }
  const credential = typeof options.credential === 'string' ? { bearer: options.credential } : options.credential;
  const client: KeyplaneClient = createKeyplaneClient({
    baseUrl: options.baseUrl,
    credential,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const timeoutMs = options.timeoutMs ?? 5000;

  return async (request) => {
    const key = presentedKey(request, options.header);
    if (!key) return { ok: false, response: unauthorized('An API key is required.') };
    if (key.length > MAX_KEY_LENGTH) {
      return { ok: false, response: unauthorized('The API key is not valid.', 'invalid_token') };
    }
    let verification: components['schemas']['KeyplaneVerification'];
    try {
      verification = await client
        .POST('/v1/keys/verify', {
          body: { key, ...(permissions.length > 0 ? { permissions } : {}) },
          signal: AbortSignal.timeout(timeoutMs),
        })
        .then(({ data, response }) => {
          if (!response.ok || !data) throw new Error(`keyplane's verify operation answered ${response.status}`);
          return data;
        });
    } catch (error) {
      options.onError?.(error);
      return {
        ok: false,
        response: problem(503, 'Service Unavailable', 'The API key could not be verified; try again later.', {
          'Retry-After': '1',
        }),
      };
    }
    const { valid, code, keyId, applicationId, name, permissions: held, expiresAt } = verification;
    if (valid && keyId && applicationId && name !== undefined) {
      return {
        ok: true,
        key: { keyId, applicationId, name, permissions: held ?? null, expiresAt: expiresAt ?? null },
      };
    }
    if (code === 'INSUFFICIENT_PERMISSIONS') {
      return { ok: false, response: problem(403, 'Forbidden', 'The API key lacks a permission this requires.') };
    }
    return { ok: false, response: unauthorized('The API key is not valid.', 'invalid_token') };
  };
}

/** Verifies one request's key; for many requests, build the verifier once with `createVerifier`. */
export function verifyRequest(request: Request, options: KeyplaneAuthOptions): Promise<Verdict> {
  return createVerifier(options)(request);
}

/**
 * A fetch handler (`(request) => Response`, as in Deno, Bun, Cloudflare Workers or Node's
 * adapters) that only the holders of a valid key reach; the others get 401, 403 or 503.
 */
export function protect<Rest extends unknown[]>(
  handler: (request: Request, key: VerifiedKey, ...rest: Rest) => Response | Promise<Response>,
  options: KeyplaneAuthOptions,
): (request: Request, ...rest: Rest) => Promise<Response> {
  const verify = createVerifier(options);
  return async (request, ...rest) => {
    const verdict = await verify(request);
    return verdict.ok ? handler(request, verdict.key, ...rest) : verdict.response;
  };
}

import { createRoute, z } from '@hono/zod-openapi';
import { fail, ok, type Result } from '@keyplane/core';
import type { Context } from 'hono';
import { attemptCredential } from '../../http/authenticate.js';
import { jsonResponse } from '../../http/dialect.js';
import type { AppEnv } from '../../http/env.js';
import { type ApiError, issuesOf } from '../../http/errors.js';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { canonicalClientId } from '../../http/schemas.js';
import { aerospike } from './dialect.js';
import { AerospikeError, AerospikeOAuthError, aerospikeAdded } from './schemas.js';
import { grantsFromScope, scopeOf } from './scopes.js';

const CLIENT_ID = z.string().max(256).transform(canonicalClientId);
const CLIENT_SECRET = z.string().max(512);

// The client credentials may instead come by HTTP Basic (RFC 6749, 2.3.1), hence optional.
const TokenRequest = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: CLIENT_ID.optional(),
  client_secret: CLIENT_SECRET.optional(),
  scope: z.string().max(1000).optional(),
});

/** The realm a failed client authentication names in WWW-Authenticate. */
const CHALLENGE = 'Basic realm="keyplane"';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/** RFC 6749, 2.3.1: each part is form-urlencoded before the pair is base64-encoded. */
const formDecoded = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));

/**
 * The client credentials of an `Authorization: Basic` header: none when the request
 * sends no Basic credentials, an error when it sends ones that cannot be read.
 */
function basicCredentials(
  authorization: string | undefined,
): Result<{ clientId: string; clientSecret: string } | null> {
  if (authorization === undefined || !/^Basic(?:[ \t]|$)/i.test(authorization)) return ok(null);
  const unreadable = fail('invalid', 'The Authorization header holds no Basic client credentials.');
  const encoded = BASIC.exec(authorization)?.[1];
  if (!encoded) return unreadable;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return unreadable;
  try {
    const clientId = CLIENT_ID.safeParse(formDecoded(decoded.slice(0, colon)));
    const clientSecret = CLIENT_SECRET.safeParse(formDecoded(decoded.slice(colon + 1)));
    if (!clientId.success || !clientSecret.success) return unreadable;
    return ok({ clientId: clientId.data, clientSecret: clientSecret.data });
  } catch {
    // Not percent-encoding that decodes.
    return unreadable;
  }
}

const route = createRoute({
  method: 'post',
  path: '/oauth/token',
  request: {
    body: {
      // Both media types are optional for the validators so that each runs only on its
      // own content type; the handler insists on one of them.
      required: false,
      content: {
        'application/json': { schema: TokenRequest },
        'application/x-www-form-urlencoded': { schema: TokenRequest },
      },
    },
  },
  responses: {
    200: withJson(
      'An access token.',
      z.object({
        access_token: z.string(),
        token_type: z.literal('Bearer'),
        expires_in: z.number().int(),
        scope: z.string(),
      }),
    ),
    400: withJson('The request is not a valid client-credentials grant.', AerospikeOAuthError),
    401: withJson('Unknown client, or a wrong secret.', AerospikeOAuthError),
    ...aerospikeAdded,
    500: withJson('Internal Server Error', AerospikeError),
  },
});

/** OAuth 2.0 answers its token endpoint's errors as `{error, error_description}` (RFC 6749 §5.2). */
function renderOAuthError(c: Context<AppEnv>, error: ApiError): Response {
  const oauth = (status: 400 | 401, code: z.output<typeof AerospikeOAuthError>['error']) =>
    jsonResponse(c, { error: code, error_description: error.message }, status);
  switch (error.kind) {
    case 'unauthenticated':
      // RFC 6749, 5.2: a failed client authentication names the scheme to authenticate with.
      c.header('WWW-Authenticate', CHALLENGE);
      return oauth(401, 'invalid_client');
    case 'forbidden':
      // RFC 6749, 5.2: a client that authenticated but may not be served from here is unauthorized.
      return oauth(
        400,
        'reason' in error && error.reason === 'address_not_allowed' ? 'unauthorized_client' : 'invalid_scope',
      );
    case 'invalid':
      return oauth(
        400,
        issuesOf(error)?.some((issue) => issue.path[0] === 'grant_type' && issue.code !== 'missing')
          ? 'unsupported_grant_type'
          : 'invalid_request',
      );
    case 'malformed':
    case 'unsupported_media_type':
    case 'not_found':
    case 'quota_exceeded':
    case 'conflict':
    case 'method_not_allowed':
      return oauth(400, 'invalid_request');
    // What keyplane adds to every operation answers with its own status, in the error body the
    // contract declares for it here, as on Aerospike's other operations.
    case 'not_acceptable':
    case 'payload_too_large':
    case 'rate_limited':
      return aerospike.renderError(c, error);
    // The token endpoint documents no 503: whatever else went wrong is its 500.
    case 'unavailable':
    case 'internal':
      return aerospike.renderError(c, { kind: 'internal', message: error.message });
  }
}

export const issueToken = defineOperation(
  route,
  async (c) => {
    const isForm = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    const parsed = TokenRequest.safeParse(isForm ? c.req.valid('form') : c.req.valid('json'));
    if (!parsed.success) return fail('invalid', 'Send grant_type=client_credentials and the client credentials.');
    const basic = basicCredentials(c.req.header('authorization'));
    if (!basic.ok) return basic;
    const { client_id: bodyClientId, client_secret: bodyClientSecret } = parsed.data;
    const inBody = bodyClientId !== undefined || bodyClientSecret !== undefined;
    // RFC 6749, 2.3: a client uses one authentication method per request.
    if (basic.value && inBody) {
      return fail('invalid', 'Send the client credentials one way: HTTP Basic or the body, not both.');
    }
    const client =
      basic.value ??
      (bodyClientId !== undefined && bodyClientSecret !== undefined
        ? { clientId: bodyClientId, clientSecret: bodyClientSecret }
        : null);
    if (!client) return fail('invalid', 'Send client_id and client_secret, by HTTP Basic or in the body.');
    const permissions = grantsFromScope(parsed.data.scope);
    if (!permissions) return fail('forbidden', 'Unknown scope.');
    // Client credentials are credentials: each grant is judged under the client's lockout.
    const grant = { ...client, permissions, from: c.get('clientAddress') };
    // A grant is a request of its key: it counts against the key's rate.
    const issued = await attemptCredential(c, c.get('keyplane').tokenGrant(grant), () => client.clientId);
    if (!issued.ok) return issued;
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        access_token: issued.value.token,
        token_type: 'Bearer' as const,
        expires_in: issued.value.ttlSeconds,
        scope: scopeOf(issued.value.grants),
      },
    };
  },
  { public: true, renderError: renderOAuthError },
);

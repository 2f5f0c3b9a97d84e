import { createRoute, z } from '@hono/zod-openapi';
import { fail, type KeyplaneError } from '@keyplane/core';
import type { Context } from 'hono';
import { overLimit, settle } from '../../http/authenticate.js';
import { jsonResponse } from '../../http/dialect.js';
import type { AppEnv } from '../../http/env.js';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { aerospike } from './dialect.js';
import { grantsFromScope, scopeOf } from './scopes.js';
import { AerospikeError, AerospikeOAuthError, aerospikeAdded } from './schemas.js';

const TokenRequest = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().max(256),
  client_secret: z.string().max(512),
  scope: z.string().max(1000).optional(),
});

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
function renderOAuthError(c: Context<AppEnv>, error: KeyplaneError): Response {
  const oauth = (status: 400 | 401, code: z.output<typeof AerospikeOAuthError>['error']) =>
    jsonResponse(c, { error: code, error_description: error.message }, status);
  switch (error.kind) {
    case 'unauthenticated':
      return oauth(401, 'invalid_client');
    case 'forbidden':
      return oauth(400, 'invalid_scope');
    case 'invalid':
      return oauth(
        400,
        error.issues?.some((issue) => issue.path[0] === 'grant_type' && issue.code !== 'missing')
          ? 'unsupported_grant_type'
          : 'invalid_request',
      );
    case 'malformed':
    case 'unsupported_media_type':
    case 'payload_too_large':
    case 'not_found':
    case 'conflict':
    case 'method_not_allowed':
    case 'not_acceptable':
      return oauth(400, 'invalid_request');
    case 'rate_limited':
      return aerospike.renderError(c, error);
    // The token endpoint documents no 503: whatever else went wrong is its 500.
    case 'unavailable':
    case 'internal':
      return aerospike.renderError(c, { ...error, kind: 'internal' });
  }
}

export const issueToken = defineOperation(
  route,
  async (c) => {
    const isForm = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    const parsed = TokenRequest.safeParse(isForm ? c.req.valid('form') : c.req.valid('json'));
    if (!parsed.success) return fail('invalid', 'Send grant_type=client_credentials, client_id and client_secret.');
    const permissions = grantsFromScope(parsed.data.scope);
    if (!permissions) return fail('forbidden', 'Unknown scope.');
    // Client credentials are credentials: each grant counts towards the client's lockout
    // before the secret is looked at, and gives its point back unless the secret was wrong.
    const limits = c.var.rateLimits;
    const attempt = await limits?.attemptAuthentication(c.var.clientAddress);
    if (attempt?.lockedOut) return overLimit(c, attempt.lockedOut, 'lockout');
    const issued = await settle(attempt, () =>
      c.var.keyplane.issueToken({ clientId: parsed.data.client_id, clientSecret: parsed.data.client_secret, permissions }),
    );
    if (!issued.ok) return issued;
    // A grant is a request of its key: it counts against the key's rate.
    const allowance = await limits?.consume(parsed.data.client_id);
    if (allowance && !allowance.allowed) return overLimit(c, allowance, 'key_rate');
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

import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody } from '../../http/responses.js';
import { dateFromMillis, replaceScopes } from './mapping.js';
import { apiKeyIdParams, DiscueApiKeyRequest, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'put',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery, body: jsonRequestBody(DiscueApiKeyRequest) },
  responses: { 200: { description: 'Ok' }, ...discueErrors },
});

/** Only the fields sent change; `scopes` replaces the whole array. */
export const updateApiKey = defineOperation(route, async (c) => {
  const { api_key_id } = c.req.valid('param');
  const { name, status, scopes, expires_at } = c.req.valid('json');
  const expiresAt = dateFromMillis(expires_at);
  const updated = await c.get('keyplane').updateKey(c.get('principal'), api_key_id, {
    ...(name === undefined ? {} : { name }),
    ...(status === undefined ? {} : { status }),
    ...(scopes === undefined ? {} : { access: replaceScopes(scopes) }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  return updated.ok ? { status: 200 } : updated;
});

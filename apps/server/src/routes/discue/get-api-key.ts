import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { selfLink, toDiscueApiKey } from './mapping.js';
import { apiKeyIdParams, DiscueApiKeyResponse, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: { 200: withJson('Ok', DiscueApiKeyResponse), ...discueErrors },
});

export const getApiKey = defineOperation(route, async (c) => {
  const { api_key_id } = c.req.valid('param');
  const found = await c.get('keyplane').getKey(c.get('principal'), api_key_id);
  if (!found.ok) return found;
  return {
    status: 200,
    body: { api_key: toDiscueApiKey(found.value), _links: selfLink(`/v1/api_keys/${api_key_id}`) },
  };
});

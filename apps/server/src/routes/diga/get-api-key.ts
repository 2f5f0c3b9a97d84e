import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toDigaKey } from './mapping.js';
import { DigaRedactedApiKeyResponseSchema, digaErrors, digaKeyId, digaNotFound } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/api_key/{id}',
  request: { params: digaKeyId },
  responses: { 200: withJson('Successful Response', DigaRedactedApiKeyResponseSchema), ...digaErrors, ...digaNotFound },
});

export const getApiKey = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').getKey(c.get('principal'), c.req.valid('param').id);
  return found.ok ? { status: 200, body: toDigaKey(found.value) } : found;
});

import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { apiKeyIdParams, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: { 200: { description: 'Ok' }, ...discueErrors },
});

export const deleteApiKey = defineOperation(route, async (c) => {
  const deleted = await c.get('keyplane').deleteKey(c.get('principal'), c.req.valid('param').api_key_id);
  return deleted.ok ? { status: 200 } : deleted;
});

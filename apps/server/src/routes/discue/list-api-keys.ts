import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { selfLink, toDiscueApiKey } from './mapping.js';
import { DiscueApiKeyList, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/api_keys',
  request: { query: prettyQuery },
  responses: { 200: withJson('Ok', DiscueApiKeyList), ...discueErrors },
});

export const listApiKeys = defineOperation(route, async (c) => {
  const listed = await c.var.keyplane.listKeys(c.var.principal);
  if (!listed.ok) return listed;
  return {
    status: 200,
    body: { api_keys: listed.value.map(toDiscueApiKey), _links: selfLink('/v1/api_keys') },
  };
});

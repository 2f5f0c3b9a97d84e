import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiKey } from './mapping.js';
import { applicationId, KadoseiApiKey, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications/{id}/api-keys',
  request: { params: applicationId },
  responses: {
    200: withJson("The application's keys.", z.object({ data: z.array(KadoseiApiKey) })),
    ...kadoseiErrors([400, 401, 403, 404]),
  },
});

export const listApiKeys = defineOperation(route, async (c) => {
  const listed = await c.var.keyplane.listKeys(c.var.principal, c.req.valid('param').id);
  return listed.ok ? { status: 200, body: { data: listed.value.map(toKadoseiKey) } } : listed;
});

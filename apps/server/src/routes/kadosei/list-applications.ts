import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiApplication } from './mapping.js';
import { KadoseiApplication, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications',
  responses: {
    200: withJson("The organization's applications.", z.object({ data: z.array(KadoseiApplication) })),
    ...kadoseiErrors([401, 403]),
  },
});

export const listApplications = defineOperation(route, async (c) => {
  const listed = await c.var.keyplane.listApplications(c.var.principal);
  return listed.ok ? { status: 200, body: { data: listed.value.map(toKadoseiApplication) } } : listed;
});

import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
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
  if (!listed.ok) return listed;
  return {
    status: 200,
    body: {
      data: listed.value.map((application) => ({
        id: application.id,
        name: application.name,
        isDefault: application.isDefault,
        createdAt: application.createdAt.toISOString(),
      })),
    },
  };
});

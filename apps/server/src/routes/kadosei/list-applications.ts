import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiApplication } from './mapping.js';
import { KadoseiApplication, kadoseiErrors, pageQuery } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications',
  request: { query: pageQuery },
  responses: {
    200: withJson(
      "The organization's applications.",
      z.object({ data: z.array(KadoseiApplication), nextCursor: z.string().nullable() }),
    ),
    ...kadoseiErrors([400, 401, 403]),
  },
});

export const listApplications = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const listed = await c.get('keyplane').listApplications(c.get('principal'), {
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (!listed.ok) return listed;
  return {
    status: 200,
    body: { data: listed.value.applications.map(toKadoseiApplication), nextCursor: listed.value.nextCursor },
  };
});

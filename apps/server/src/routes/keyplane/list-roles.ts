import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { RoleBody, toRole } from './roles.js';
import { pageQuery, problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/roles',
  request: { query: pageQuery },
  responses: {
    200: withJson(
      'A page of roles, oldest first.',
      z.object({ data: z.array(RoleBody), nextCursor: z.string().nullable() }),
    ),
    ...problems([400, 401, 403]),
  },
});

export const listRoles = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const page = await c
    .get('keyplane')
    .listRoles(c.get('principal'), { limit, ...(cursor === undefined ? {} : { cursor }) });
  if (!page.ok) return page;
  return { status: 200, body: { data: page.value.roles.map(toRole), nextCursor: page.value.nextCursor } };
});

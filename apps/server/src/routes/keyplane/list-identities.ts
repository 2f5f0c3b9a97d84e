import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { IdentityBody, toIdentity } from './identities.js';
import { pageQuery, problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/identities',
  request: { query: pageQuery },
  responses: {
    200: withJson(
      'A page of identities, oldest first.',
      z.object({ data: z.array(IdentityBody), nextCursor: z.string().nullable() }),
    ),
    ...problems([400, 401, 403]),
  },
});

export const listIdentities = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const page = await c
    .get('keyplane')
    .listIdentities(c.get('principal'), { limit, ...(cursor === undefined ? {} : { cursor }) });
  if (!page.ok) return page;
  return { status: 200, body: { data: page.value.identities.map(toIdentity), nextCursor: page.value.nextCursor } };
});

import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiKey } from './mapping.js';
import { applicationId, KadoseiApiKey, kadoseiErrors, pageQuery } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications/{id}/api-keys',
  request: { params: applicationId, query: pageQuery },
  responses: {
    200: withJson(
      "The application's keys.",
      z.object({ data: z.array(KadoseiApiKey), nextCursor: z.string().nullable() }),
    ),
    ...kadoseiErrors([400, 401, 403, 404]),
  },
});

export const listApiKeys = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const applicationId = c.req.valid('param').id;
  const listed = await c.get('keyplane').listKeyPage(c.get('principal'), {
    applicationId,
    order: 'asc',
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (!listed.ok) return listed;
  return { status: 200, body: { data: listed.value.keys.map(toKadoseiKey), nextCursor: listed.value.nextCursor } };
});

import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { resourceId } from '../../http/schemas.js';
import { ExternalId, Key, toKey } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/keys',
  request: {
    query: z.object({
      applicationId: resourceId.optional(),
      externalId: ExternalId.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(500).optional(),
    }),
  },
  responses: {
    200: withJson('A page of keys, oldest first.', z.object({ data: z.array(Key), nextCursor: z.string().nullable() })),
    ...problems([400, 401, 403, 404]),
  },
});

export const listKeys = defineOperation(route, async (c) => {
  const { applicationId, externalId, limit, cursor } = c.req.valid('query');
  const page = await c.get('keyplane').listKeyPage(c.get('principal'), {
    order: 'asc',
    limit,
    ...(applicationId === undefined ? {} : { applicationId }),
    ...(externalId === undefined ? {} : { externalId }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (!page.ok) return page;
  return { status: 200, body: { data: page.value.keys.map(toKey), nextCursor: page.value.nextCursor } };
});

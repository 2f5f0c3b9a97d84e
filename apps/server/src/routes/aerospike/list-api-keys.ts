import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { aerospikeErrors } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api-keys',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(10),
      offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
    }),
  },
  responses: {
    200: withJson(
      'A page of API keys.',
      z.object({
        count: z.number().int(),
        meta: z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
        apiKeys: z.array(z.object({ name: z.string(), clientId: z.string() })),
      }),
    ),
    ...aerospikeErrors,
  },
});

export const listApiKeys = defineOperation(route, async (c) => {
  const { limit, offset } = c.req.valid('query');
  const listed = await c
    .get('keyplane')
    .listKeyPage(c.get('principal'), { order: 'asc', limit, offset, withTotal: true });
  if (!listed.ok) return listed;
  return {
    status: 200,
    body: {
      count: listed.value.keys.length,
      meta: { total: listed.value.total ?? 0, limit, offset },
      apiKeys: listed.value.keys.map((key) => ({ name: key.name, clientId: key.id })),
    },
  };
});

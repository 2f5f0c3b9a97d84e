import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { problemResponse } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  responses: {
    200: withJson('Healthy', z.object({ status: z.literal('ok') })),
    406: problemResponse('Not Acceptable'),
    503: problemResponse('Store unavailable'),
  },
});

export const health = defineOperation(
  route,
  async (c) => {
    const checked = await c.var.keyplane.checkHealth();
    return checked.ok ? { status: 200, body: { status: 'ok' as const } } : checked;
  },
  { public: true },
);

import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { publicProblems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  responses: {
    200: withJson('Healthy', z.object({ status: z.literal('ok') })),
    ...publicProblems([503]),
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

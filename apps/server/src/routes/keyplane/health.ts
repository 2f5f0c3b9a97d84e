import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { publicProblems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  responses: {
    200: withJson('Healthy', z.object({ status: z.literal('ok') })),
    ...publicProblems([]),
  },
});

/** Liveness: the process answers. Whether it can serve requests is `/readyz`. */
export const health = defineOperation(route, async () => ({ status: 200, body: { status: 'ok' as const } }), {
  public: true,
});

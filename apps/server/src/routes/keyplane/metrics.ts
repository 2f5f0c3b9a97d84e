import { createRoute, z } from '@hono/zod-openapi';
import { fail } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { problemResponse, publicProblems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/metrics',
  responses: {
    200: {
      description: 'The metrics, in the Prometheus text format.',
      content: { 'text/plain': { schema: z.string() } },
    },
    404: problemResponse('404'),
    ...publicProblems([]),
  },
});

/** The instance's Prometheus metrics; 404 here when they are served on a port of their own. */
export const metrics = defineOperation(
  route,
  async (c) => {
    if (!c.get('metricsHere')) return fail('not_found', 'No such resource.');
    const { registry } = c.get('metrics');
    return { status: 200, body: await registry.metrics(), headers: { 'Content-Type': registry.contentType } };
  },
  { public: true },
);

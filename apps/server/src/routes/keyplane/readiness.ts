import { createRoute, z } from '@hono/zod-openapi';
import { fail } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { publicProblems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/readyz',
  responses: {
    200: withJson(
      'The instance is ready to serve requests.',
      z.object({
        status: z.literal('ready'),
        /** `degraded`: serving, in a lesser way (Redis unreachable: the limits are counted by this instance alone). */
        checks: z.record(z.string(), z.enum(['ok', 'degraded'])),
      }),
    ),
    ...publicProblems([503]),
  },
});

/**
 * Readiness: every check of the instance passes (the store, its schema, Redis when used), and it
 * is not draining. A Redis that does not answer makes the instance degraded, not unready: it
 * serves every request, counting the limits alone, and a balancer should keep sending it traffic.
 */
export const readiness = defineOperation(
  route,
  async (c) => {
    const { failing, checks } = await c.get('readiness')();
    if (failing.length > 0) return fail('unavailable', `not ready: ${failing.join(', ')}`);
    return { status: 200, body: { status: 'ready' as const, checks } };
  },
  { public: true },
);

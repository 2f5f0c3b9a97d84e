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
      z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.literal('ok')) }),
    ),
    ...publicProblems([503]),
  },
});

/** Readiness: every check of the instance passes (the store, its schema, Redis when used), and it is not draining. */
export const readiness = defineOperation(
  route,
  async (c) => {
    const { failing, checks } = await c.get('readiness')();
    if (failing.length > 0) return fail('unavailable', `not ready: ${failing.join(', ')}`);
    return { status: 200, body: { status: 'ready' as const, checks } };
  },
  { public: true },
);

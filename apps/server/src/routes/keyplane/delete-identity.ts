import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { identityParams } from './identities.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/v1/identities/{identity}',
  request: {
    params: identityParams,
    query: z.object({ deleteKeys: z.enum(['true', 'false']).default('false') }),
  },
  responses: {
    204: { description: 'The identity was deleted, with its keys when asked; every instance has dropped them.' },
    ...problems([400, 401, 403, 404, 409]),
  },
});

/** Refused (409) while the identity has keys, unless `deleteKeys=true`, which deletes them with it. */
export const deleteIdentity = defineOperation(route, async (c) => {
  const deleted = await c
    .get('keyplane')
    .deleteIdentity(c.get('principal'), c.req.valid('param').identity, c.req.valid('query').deleteKeys === 'true');
  return deleted.ok ? { status: 204 } : deleted;
});

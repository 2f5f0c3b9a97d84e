import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { roleParams } from './roles.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/v1/roles/{role}',
  request: { params: roleParams },
  responses: {
    204: { description: 'The role was deleted; no key holds it any more.' },
    ...problems([400, 401, 403, 404]),
  },
});

export const deleteRole = defineOperation(route, async (c) => {
  const deleted = await c.get('keyplane').deleteRole(c.get('principal'), c.req.valid('param').role);
  return deleted.ok ? { status: 204 } : deleted;
});

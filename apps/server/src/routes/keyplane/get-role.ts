import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { RoleBody, roleParams, toRole } from './roles.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/roles/{role}',
  request: { params: roleParams },
  responses: { 200: withJson('The role.', RoleBody), ...problems([400, 401, 403, 404]) },
});

export const getRole = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').getRole(c.get('principal'), c.req.valid('param').role);
  return found.ok ? { status: 200, body: toRole(found.value) } : found;
});

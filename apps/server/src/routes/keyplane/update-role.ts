import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { grantsOf, RoleBody, RoleUpdate, roleParams, toRole } from './roles.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'patch',
  path: '/v1/roles/{role}',
  request: { params: roleParams, body: jsonRequestBody(RoleUpdate) },
  responses: { 200: withJson('The role as it now is.', RoleBody), ...problems([400, 401, 403, 404, 409, 415]) },
});

/** `permissions` replaces the whole list; every key holding the role has the change on its very next request. */
export const updateRole = defineOperation(route, async (c) => {
  const { name, permissions } = c.req.valid('json');
  const updated = await c.get('keyplane').updateRole(c.get('principal'), c.req.valid('param').role, {
    ...(name === undefined ? {} : { name }),
    ...(permissions === undefined ? {} : { grants: grantsOf(permissions) }),
  });
  return updated.ok ? { status: 200, body: toRole(updated.value) } : updated;
});

import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { grantsOf, RoleBody, RoleRequest, toRole } from './roles.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/roles',
  request: { body: jsonRequestBody(RoleRequest) },
  responses: { 201: withJson('The new role.', RoleBody), ...problems([400, 401, 403, 409, 415]) },
});

/** A named set of permissions; no one puts in a role what they do not hold. */
export const createRole = defineOperation(route, async (c) => {
  const { name, permissions } = c.req.valid('json');
  const created = await c.get('keyplane').createRole(c.get('principal'), { name, grants: grantsOf(permissions) });
  return created.ok ? { status: 201, body: toRole(created.value) } : created;
});

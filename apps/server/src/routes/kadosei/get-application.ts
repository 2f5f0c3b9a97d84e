import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiApplication } from './mapping.js';
import { applicationId, KadoseiApplication, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications/{id}',
  request: { params: applicationId },
  responses: { 200: withJson('The application.', KadoseiApplication), ...kadoseiErrors([400, 401, 403, 404]) },
});

export const getApplication = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').getApplication(c.get('principal'), c.req.valid('param').id);
  return found.ok ? { status: 200, body: toKadoseiApplication(found.value) } : found;
});

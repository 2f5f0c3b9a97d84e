import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { storedText } from '../../http/schemas.js';
import { toKadoseiApplication } from './mapping.js';
import { KadoseiApplication, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/api/v1/applications',
  request: {
    body: jsonRequestBody(z.object({ name: storedText(255).min(1), description: storedText(1000).optional() })),
  },
  responses: { 201: withJson('The application.', KadoseiApplication), ...kadoseiErrors([400, 401, 403]) },
});

export const createApplication = defineOperation(route, async (c) => {
  const created = await c.get('keyplane').createApplication(c.get('principal'), c.req.valid('json'));
  return created.ok ? { status: 201, body: toKadoseiApplication(created.value) } : created;
});

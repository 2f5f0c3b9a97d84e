import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { IdentityBody, identityParams, toIdentity } from './identities.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/identities/{identity}',
  request: { params: identityParams },
  responses: { 200: withJson('The identity.', IdentityBody), ...problems([400, 401, 403, 404]) },
});

export const getIdentity = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').getIdentity(c.get('principal'), c.req.valid('param').identity);
  return found.ok ? { status: 200, body: toIdentity(found.value) } : found;
});

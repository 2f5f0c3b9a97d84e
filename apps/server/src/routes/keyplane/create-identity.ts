import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { IdentityBody, IdentityRequest, toIdentity } from './identities.js';
import { namedLimitsOf } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/identities',
  request: { body: jsonRequestBody(IdentityRequest) },
  responses: { 201: withJson('The new identity.', IdentityBody), ...problems([400, 401, 403, 409, 415]) },
});

export const createIdentity = defineOperation(route, async (c) => {
  const { externalId, meta = null, ratelimits = [] } = c.req.valid('json');
  const created = await c
    .get('keyplane')
    .createIdentity(c.get('principal'), { externalId, meta, ratelimits: namedLimitsOf(ratelimits) });
  return created.ok ? { status: 201, body: toIdentity(created.value) } : created;
});

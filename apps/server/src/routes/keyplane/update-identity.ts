import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { IdentityBody, IdentityUpdate, identityParams, toIdentity } from './identities.js';
import { namedLimitsOf } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'patch',
  path: '/v1/identities/{identity}',
  request: { params: identityParams, body: jsonRequestBody(IdentityUpdate) },
  responses: {
    200: withJson('The identity as it now is.', IdentityBody),
    ...problems([400, 401, 403, 404, 409, 415]),
  },
});

export const updateIdentity = defineOperation(route, async (c) => {
  const { externalId, meta, ratelimits } = c.req.valid('json');
  const updated = await c.get('keyplane').updateIdentity(c.get('principal'), c.req.valid('param').identity, {
    ...(externalId === undefined ? {} : { externalId }),
    ...(meta === undefined ? {} : { meta }),
    ...(ratelimits === undefined ? {} : { ratelimits: namedLimitsOf(ratelimits) }),
  });
  return updated.ok ? { status: 200, body: toIdentity(updated.value) } : updated;
});

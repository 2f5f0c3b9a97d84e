import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { accessOf, creditsRequest, Key, KeyUpdate, keyIdParams, namedLimitsOf, toKey } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'patch',
  path: '/v1/keys/{keyId}',
  request: { params: keyIdParams, body: jsonRequestBody(KeyUpdate) },
  responses: { 200: withJson('The key as it now is.', Key), ...problems([400, 401, 403, 404, 415]) },
});

/** Only the fields sent change; `permissions` replaces the whole list. */
export const updateKey = defineOperation(route, async (c) => {
  const { name, permissions, enabled, expiresAt, meta, ipAllowlist, roles, externalId, credits, ratelimits } =
    c.req.valid('json');
  const updated = await c.get('keyplane').updateKey(c.get('principal'), c.req.valid('param').keyId, {
    ...(name === undefined ? {} : { name }),
    ...(credits === undefined ? {} : { credits: creditsRequest(credits) }),
    ...(ratelimits === undefined ? {} : { ratelimits: namedLimitsOf(ratelimits) }),
    ...(meta === undefined ? {} : { meta }),
    ...(ipAllowlist === undefined ? {} : { ipAllowlist }),
    ...(roles === undefined ? {} : { roles: roles ?? [] }),
    ...(externalId === undefined ? {} : { externalId }),
    ...(permissions === undefined ? {} : { access: accessOf(permissions) }),
    ...(enabled === undefined ? {} : { status: enabled ? 'enabled' : 'disabled' }),
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt === null ? null : new Date(expiresAt) }),
  });
  return updated.ok ? { status: 200, body: toKey(updated.value) } : updated;
});

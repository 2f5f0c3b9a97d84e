import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { accessOf, creditsRequest, Key, KeyRequest, namedLimitsOf, toKey } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/keys',
  request: { body: jsonRequestBody(KeyRequest) },
  responses: {
    201: withJson('The new key; its secret is shown only this once.', Key.extend({ key: z.string() })),
    ...problems([400, 401, 403, 404, 415]),
  },
});

/** A key of the caller's organization, holding no permission unless given some (`null`: all of them). */
export const createKey = defineOperation(route, async (c) => {
  const body = c.req.valid('json');
  const { name, applicationId, permissions = [], enabled = true, expiresAt = null, meta = null } = body;
  const created = await c.get('keyplane').createKey(c.get('principal'), {
    name,
    access: accessOf(permissions),
    status: enabled ? 'enabled' : 'disabled',
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    meta,
    ipAllowlist: body.ipAllowlist ?? null,
    roles: body.roles ?? [],
    externalId: body.externalId ?? null,
    credits: creditsRequest(body.credits ?? null),
    ratelimits: namedLimitsOf(body.ratelimits ?? []),
    ...(body.prefix === undefined ? {} : { prefix: body.prefix }),
    ...(applicationId === undefined ? {} : { applicationId }),
  });
  if (!created.ok) return created;
  return { status: 201, body: { ...toKey(created.value.key), key: created.value.secret } };
});

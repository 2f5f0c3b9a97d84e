import { createRoute, z } from '@hono/zod-openapi';
import { type Grant, parsePermission } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { futureTimestamp, permissionStrings, storedText } from '../../http/schemas.js';
import { toKadoseiKey } from './mapping.js';
import { applicationId, KadoseiApiKey, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/api/v1/applications/{id}/api-keys',
  request: {
    params: applicationId,
    body: jsonRequestBody(
      z.object({
        name: storedText(255).min(1),
        permissions: permissionStrings.max(100).optional(),
        expiresAt: futureTimestamp.optional(),
      }),
    ),
  },
  responses: {
    201: withJson('The key; its secret (`key`) is shown only this once.', KadoseiApiKey.extend({ key: z.string() })),
    ...kadoseiErrors([400, 401, 403, 404]),
  },
});

/** Without permissions, the key may do everything its creator may. */
export const createApiKey = defineOperation(route, async (c) => {
  const { name, permissions, expiresAt } = c.req.valid('json');
  const created = await c.get('keyplane').createKey(c.get('principal'), {
    name,
    applicationId: c.req.valid('param').id,
    access: permissions
      ? { restricted: true, grants: permissions.map((text) => parsePermission(text) as Grant) }
      : c.get('principal').access,
    expiresAt: expiresAt ? new Date(expiresAt) : null,
  });
  if (!created.ok) return created;
  return { status: 201, body: { ...toKadoseiKey(created.value.key), key: created.value.secret } };
});

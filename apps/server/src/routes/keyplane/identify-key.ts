import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { Key, toKey } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/keys/whoami',
  request: { body: jsonRequestBody(z.object({ key: z.string().max(512) })) },
  responses: { 200: withJson('The key the secret names.', Key), ...problems([400, 401, 403, 404, 415]) },
});

/** Which key a secret is: read as `GET /v1/keys/{keyId}` reads it, spending nothing and counting as no use. */
export const identifyKey = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').identifyKey(c.get('principal'), c.req.valid('json').key);
  return found.ok ? { status: 200, body: toKey(found.value) } : found;
});

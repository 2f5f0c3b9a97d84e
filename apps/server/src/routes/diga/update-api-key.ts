import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { toDigaKey, updateAccess } from './mapping.js';
import {
  DigaApiKeyUpdateRequest,
  DigaRedactedApiKeyResponseSchema,
  digaErrors,
  digaKeyId,
  digaNotFound,
} from './schemas.js';

const route = createRoute({
  method: 'patch',
  path: '/v1/api_key/{id}',
  request: { params: digaKeyId, body: jsonRequestBody(DigaApiKeyUpdateRequest) },
  responses: { 200: withJson('Successful Response', DigaRedactedApiKeyResponseSchema), ...digaErrors, ...digaNotFound },
});

/** Only the fields sent change; `permissions` replaces the whole list of a restricted key. */
export const updateApiKey = defineOperation(route, async (c) => {
  const { name, restricted, permissions } = c.req.valid('json');
  const access = updateAccess(restricted, permissions);
  const updated = await c.get('keyplane').updateKey(c.get('principal'), c.req.valid('param').id, {
    ...(name === undefined ? {} : { name }),
    ...(access === undefined ? {} : { access }),
  });
  return updated.ok ? { status: 200, body: toDigaKey(updated.value) } : updated;
});

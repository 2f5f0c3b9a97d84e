import { createRoute } from '@hono/zod-openapi';
import { isErr } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody } from '../../http/responses.js';
import { accessFromScopes } from './mapping.js';
import { apiKeyIdParams, DiscueApiKeyRequest, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'put',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery, body: jsonRequestBody(DiscueApiKeyRequest) },
  responses: { 200: { description: 'Ok' }, ...discueErrors },
});

export const updateApiKey = defineOperation(route, async (c) => {
  const { api_key_id } = c.req.valid('param');
  const { name, status, scopes } = c.req.valid('json');
  const access = scopes === undefined ? undefined : accessFromScopes(scopes);
  if (isErr(access)) return access;
  const updated = await c.var.keyplane.updateKey(c.var.principal, api_key_id, {
    ...(name === undefined ? {} : { name }),
    ...(status === undefined ? {} : { status }),
    ...(access === undefined ? {} : { access }),
  });
  if (!updated.ok) return updated;
  return { status: 200 };
});

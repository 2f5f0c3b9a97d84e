import { createRoute } from '@hono/zod-openapi';
import { isErr } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { dateFromMillis, grantsFromScopes, selfLink } from './mapping.js';
import { DiscueApiKeyCreated, DiscueApiKeyRequest, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/api_keys',
  request: { query: prettyQuery, body: jsonRequestBody(DiscueApiKeyRequest) },
  responses: { 200: withJson('Ok', DiscueApiKeyCreated), ...discueErrors },
});

export const createApiKey = defineOperation(route, async (c) => {
  const { name, status, scopes, expires_at } = c.req.valid('json');
  const grants = grantsFromScopes(scopes);
  if (isErr(grants)) return grants;
  const created = await c.get('keyplane').createKey(c.get('principal'), {
    name: name ?? '',
    ...(status === undefined ? {} : { status }),
    access: { restricted: true, grants },
    expiresAt: dateFromMillis(expires_at) ?? null,
  });
  if (!created.ok) return created;
  const { key, secret } = created.value;
  return {
    status: 200,
    body: { id: key.id, api_key: secret, _links: selfLink(`/v1/api_keys/${key.id}`) },
  };
});

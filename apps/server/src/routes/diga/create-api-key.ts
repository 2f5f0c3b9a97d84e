import { createRoute } from '@hono/zod-openapi';
import { isErr } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { accessFromDiga, toDigaKey } from './mapping.js';
import { DigaApiKeyRequestSchema, DigaApiKeyResponse, digaErrors } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/api_key/',
  request: { body: jsonRequestBody(DigaApiKeyRequestSchema) },
  responses: { 200: withJson('Successful Response', DigaApiKeyResponse), ...digaErrors },
});

/** The secret (`value`) is in this answer only. */
export const createApiKey = defineOperation(route, async (c) => {
  const { name, expiry_date, restricted, permissions } = c.req.valid('json');
  const access = accessFromDiga(restricted, permissions);
  if (isErr(access)) return access;
  const created = await c.get('keyplane').createKey(c.get('principal'), {
    name,
    access,
    expiresAt: expiry_date ? new Date(expiry_date) : null,
  });
  if (!created.ok) return created;
  return { status: 200, body: { ...toDigaKey(created.value.key), value: created.value.secret } };
});

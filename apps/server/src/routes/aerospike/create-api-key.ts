import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { storedText } from '../../http/schemas.js';
import { aerospikeErrors } from './schemas.js';
import { aerospikeAccessOf } from './scopes.js';

const route = createRoute({
  method: 'post',
  path: '/api-keys',
  request: {
    body: jsonRequestBody(z.object({ name: storedText(100).min(1).regex(/\S/, 'The name must not be blank.') })),
  },
  responses: {
    201: withJson(
      'The API key; its secret is shown only this once.',
      z.object({ clientId: z.uuid(), clientSecret: z.string(), name: z.string() }),
    ),
    ...aerospikeErrors,
  },
});

export const createApiKey = defineOperation(route, async (c) => {
  const { name } = c.req.valid('json');
  const created = await c.get('keyplane').createKey(c.get('principal'), {
    name,
    access: aerospikeAccessOf(c.get('principal').access),
  });
  if (!created.ok) return created;
  return { status: 201, body: { clientId: created.value.key.id, clientSecret: created.value.secret, name } };
});

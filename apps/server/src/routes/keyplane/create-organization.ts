import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { storedText, timestamp } from '../../http/schemas.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/organizations',
  request: { body: jsonRequestBody(z.object({ name: storedText(255).min(1) })) },
  responses: {
    201: withJson(
      'The organization and its first key, whose secret is shown only this once.',
      z.object({
        id: z.uuid(),
        name: z.string(),
        createdAt: timestamp,
        defaultApplicationId: z.uuid(),
        adminKey: z.object({ id: z.uuid(), key: z.string() }),
      }),
    ),
    ...problems([400, 401, 403, 415]),
  },
});

/** Only the root credential creates organizations. */
export const createOrganization = defineOperation(route, async (c) => {
  const created = await c.get('keyplane').createOrganization(c.get('principal'), c.req.valid('json'));
  if (!created.ok) return created;
  const { organization, application, adminKey } = created.value;
  return {
    status: 201,
    body: {
      id: organization.id,
      name: organization.name,
      createdAt: organization.createdAt.toISOString(),
      defaultApplicationId: application.id,
      adminKey: { id: adminKey.key.id, key: adminKey.secret },
    },
  };
});

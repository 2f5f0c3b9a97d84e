import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { resourceId, timestamp } from '../../http/schemas.js';
import { problems } from './schemas.js';

const THIRTY_DAYS = 30 * 24 * 60 * 60;

const route = createRoute({
  method: 'post',
  path: '/v1/keys/{keyId}/rotate',
  request: {
    params: z.object({ keyId: resourceId }),
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({ gracePeriodSeconds: z.number().int().min(0).max(THIRTY_DAYS).optional() }),
        },
      },
    },
  },
  responses: {
    200: withJson(
      'The new secret, shown only this once.',
      z.object({ id: z.uuid(), key: z.string(), previousKeyExpiresAt: timestamp.nullable() }),
    ),
    ...problems([400, 401, 403, 404, 415]),
  },
});

/** A new secret for the same key; the old one works for the grace period (0: not at all). */
export const rotateKey = defineOperation(route, async (c) => {
  const { gracePeriodSeconds = 0 } = c.req.valid('json');
  const rotated = await c.get('keyplane').rotateKey(c.get('principal'), c.req.valid('param').keyId, gracePeriodSeconds);
  if (!rotated.ok) return rotated;
  return {
    status: 200,
    body: {
      id: rotated.value.key.id,
      key: rotated.value.secret,
      previousKeyExpiresAt: rotated.value.previousSecretExpiresAt?.toISOString() ?? null,
    },
  };
});

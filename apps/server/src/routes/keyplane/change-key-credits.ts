import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { CreditCount, keyIdParams, ShownCredits, shownCredits } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/keys/{keyId}/credits',
  request: {
    params: keyIdParams,
    body: jsonRequestBody(z.object({ operation: z.enum(['set', 'increment', 'decrement']), value: CreditCount })),
  },
  responses: {
    200: withJson("The key's credits as they now are.", ShownCredits),
    ...problems([400, 401, 403, 404, 409, 415]),
  },
});

/** Sets, adds to or takes from a key's credits, exactly, whatever verifications spend meanwhile. */
export const changeKeyCredits = defineOperation(route, async (c) => {
  const { operation, value } = c.req.valid('json');
  const changed = await c
    .get('keyplane')
    .changeKeyCredits(c.get('principal'), c.req.valid('param').keyId, operation, value);
  if (!changed.ok) return changed;
  // The change gave the key credits, or was refused.
  const credits = changed.value.credits as NonNullable<typeof changed.value.credits>;
  return { status: 200, body: shownCredits(credits) };
});

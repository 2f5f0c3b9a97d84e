import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { clientId } from '../../http/schemas.js';
import { AerospikeError, aerospikeAdded } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/api-keys/{clientId}',
  request: { params: z.object({ clientId }) },
  responses: {
    204: { description: 'Successfully deleted the API key.' },
    401: withJson('Access token is missing or invalid', AerospikeError),
    403: withJson('Permission denied', AerospikeError),
    404: withJson('Resource not found', AerospikeError),
    ...aerospikeAdded,
    500: withJson('Internal Server Error', AerospikeError),
  },
});

/** The client id is the key's uuid; any other string names no key. */
export const deleteApiKey = defineOperation(route, async (c) => {
  const deleted = await c.get('keyplane').deleteKey(c.get('principal'), c.req.valid('param').clientId);
  return deleted.ok ? { status: 204 } : deleted;
});

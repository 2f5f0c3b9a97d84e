import { z } from '@hono/zod-openapi';
import { addedResponses, withJson } from '../../http/responses.js';

export const AerospikeError = z.object({ code: z.string().optional(), message: z.string() }).catchall(z.unknown());

export const aerospikeAdded = addedResponses(AerospikeError);

export const aerospikeErrors = {
  400: withJson('Bad Request', AerospikeError),
  401: withJson('Access token is missing or invalid', AerospikeError),
  403: withJson('Permission denied', AerospikeError),
  ...aerospikeAdded,
  500: withJson('Internal Server Error', AerospikeError),
};

export const AerospikeOAuthError = z.object({
  error: z.enum([
    'invalid_request',
    'invalid_client',
    'invalid_grant',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
  ]),
  error_description: z.string().optional(),
});

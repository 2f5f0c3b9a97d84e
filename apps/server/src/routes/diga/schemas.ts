import { z } from '@hono/zod-openapi';
import { withJson } from '../../http/responses.js';

export const DigaErrorResponseSchema = z.object({
  status: z.string().optional(),
  error_code: z.string(),
  message: z.string(),
});

export const DigaHTTPValidationError = z.object({
  detail: z
    .array(z.object({ loc: z.array(z.union([z.string(), z.number().int()])), msg: z.string(), type: z.string() }))
    .optional(),
});

export const digaErrors = {
  403: withJson('Forbidden - Insufficient permissions', DigaErrorResponseSchema),
  422: withJson('Validation Error', DigaHTTPValidationError),
  500: withJson('Internal Server Error', DigaErrorResponseSchema),
};

export const digaNotFound = { 404: withJson('Api Key Not Found', DigaErrorResponseSchema) };

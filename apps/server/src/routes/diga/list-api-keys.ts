import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { jsonResponse } from '../../http/dialect.js';
import type { AppEnv } from '../../http/env.js';
import { type ApiError, issuesOf } from '../../http/errors.js';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { resourceId } from '../../http/schemas.js';
import { diga } from './dialect.js';
import { toDigaKey } from './mapping.js';
import { DigaErrorResponseSchema, DigaRedactedApiKeyResponseSchema, digaAdded } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/api_key/',
  request: {
    query: z.object({
      after: resourceId.nullable().optional(),
      before: resourceId.nullable().optional(),
      page: z.coerce.number().int().min(1).max(1_000_000).nullable().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
  },
  responses: {
    200: withJson(
      'Successful Response',
      z.object({
        data: z.array(DigaRedactedApiKeyResponseSchema),
        first_id: z.uuid().nullable().optional(),
        last_id: z.uuid().nullable().optional(),
        has_more: z.boolean(),
        current_page: z.number().int().nullable().optional(),
        total_pages: z.number().int().nullable().optional(),
      }),
    ),
    403: withJson('Forbidden - Insufficient permissions', DigaErrorResponseSchema),
    422: withJson('Unprocessable entity - Invalid pagination', DigaErrorResponseSchema),
    ...digaAdded,
    500: withJson('Internal Server Error', DigaErrorResponseSchema),
  },
});

/** diga documents this operation's 422 as its error body, not FastAPI's `{detail}`. */
function renderListError(c: Context<AppEnv>, error: ApiError): Response {
  if (error.kind !== 'invalid' && error.kind !== 'malformed') return diga.renderError(c, error);
  if (error.reason === 'both_cursors') {
    const message = "Cannot specify both 'before' and 'after' parameters";
    return jsonResponse(c, { status: 'error', error_code: 'INVALID_PAGINATION_PARAMETERS', message }, 422);
  }
  const errorCode = error.reason === 'unknown_cursor' ? 'INVALID_PAGINATION_PARAMETERS' : 'VALIDATION_ERROR';
  const where = issuesOf(error)
    ?.map((issue) => `${issue.path.join('.') || issue.location}: ${issue.message}`)
    .join('; ');
  return jsonResponse(c, { status: 'error', error_code: errorCode, message: where || error.message }, 422);
}

export const listApiKeys = defineOperation(
  route,
  async (c) => {
    const { after, before, page, limit, order } = c.req.valid('query');
    const listed = await c.get('keyplane').listKeyPage(c.get('principal'), {
      order,
      limit,
      ...(after ? { after } : {}),
      ...(before ? { before } : {}),
      ...(page ? { page, withTotal: true } : {}),
    });
    if (!listed.ok) return listed;
    const data = listed.value.keys.map(toDigaKey);
    return {
      status: 200,
      body: {
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: listed.value.hasMore,
        current_page: page ?? null,
        // Counting every key costs a full scan: only page-number pagination pays for it.
        total_pages: listed.value.total === undefined ? null : Math.ceil(listed.value.total / limit),
      },
    };
  },
  { renderError: renderListError },
);

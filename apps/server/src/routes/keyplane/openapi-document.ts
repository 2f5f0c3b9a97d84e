import { createRoute, z } from '@hono/zod-openapi';
import { loadOpenApiDocument } from '@keyplane/contract';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { publicProblems } from './schemas.js';

const OpenApiDocument = z
  .object({
    openapi: z.literal('3.1.0'),
    info: z.record(z.string(), z.unknown()),
    paths: z.record(z.string(), z.unknown()),
  })
  .catchall(z.unknown());

const route = createRoute({
  method: 'get',
  path: '/openapi.json',
  responses: {
    200: withJson('This merged OpenAPI document.', OpenApiDocument),
    ...publicProblems([]),
  },
});

export const openApiDocument = defineOperation(
  route,
  async () => ({ status: 200, body: OpenApiDocument.parse(loadOpenApiDocument()) }),
  { public: true },
);

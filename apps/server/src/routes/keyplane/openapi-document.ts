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

/**
 * This merged document, naming as its server the address it was fetched at, so that clients
 * generated from it and the API reference call this server on whatever host and port it runs.
 */
export const openApiDocument = defineOperation(
  route,
  async (c) => {
    const document = OpenApiDocument.parse(loadOpenApiDocument());
    const servers = [{ url: c.get('origin')(), description: 'This keyplane server: where this document was fetched.' }];
    return { status: 200, body: { ...document, servers } };
  },
  { public: true },
);

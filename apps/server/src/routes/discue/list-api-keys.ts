import { createRoute, z } from '@hono/zod-openapi';
import { renderInSlices } from '../../http/json-in-slices.js';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { listEveryKey } from '../../http/whole-list.js';
import { isPretty } from './dialect.js';
import { toDiscueApiKey } from './mapping.js';
import { DiscueApiKeyList, discueErrors, prettyQuery } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/api_keys',
  request: {
    query: prettyQuery.extend({
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      cursor: z.string().max(500).optional(),
    }),
  },
  responses: { 200: withJson('Ok', DiscueApiKeyList), ...discueErrors },
});

/**
 * Every key, as discue lists them; with `limit` (keyplane's extension) one page of them,
 * and `_links.next` while there are more.
 */
export const listApiKeys = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  if (limit === undefined && cursor === undefined) {
    const listed = await listEveryKey(c.get('keyplane'), c.get('principal'));
    if (!listed.ok) return listed;
    const envelope = { api_keys: [], _links: { self: { href: '/v1/api_keys' } } };
    return {
      status: 200,
      body: await renderInSlices(envelope, 'api_keys', listed.value, toDiscueApiKey, isPretty(c)),
    };
  }
  const pageSize = limit ?? 100;
  const listed = await c.get('keyplane').listKeyPage(c.get('principal'), {
    order: 'asc',
    limit: pageSize,
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (!listed.ok) return listed;
  const { keys, nextCursor } = listed.value;
  const page = (at?: string) =>
    `/v1/api_keys?${new URLSearchParams({ limit: String(pageSize), ...(at ? { cursor: at } : {}) })}`;
  return {
    status: 200,
    body: {
      api_keys: keys.map(toDiscueApiKey),
      _links: { self: { href: page(cursor) }, ...(nextCursor ? { next: { href: page(nextCursor) } } : {}) },
    },
  };
});

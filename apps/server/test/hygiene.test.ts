import { randomUUID } from 'node:crypto';
import type { DialectName } from '@keyplane/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractOperations } from './support/contract-operations.js';
import { type Harness, startHarness } from './support/harness.js';

const HTTP = { transport: 'http', store: 'embedded', name: 'http, embedded store' } as const;

/** The shape of each dialect's error body. */
const ERROR_BODY: Record<DialectName, unknown> = {
  discue: { title: expect.any(String), status: expect.any(Number) },
  aerospike: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  diga: expect.objectContaining({ status: 'error', error_code: expect.any(String) }),
  kadosei: expect.objectContaining({ error: expect.any(String), code: expect.any(Number) }),
  keyplane: expect.objectContaining({ type: expect.any(String), status: expect.any(Number) }),
};

/** Every operation of the contract, sent to a path its template matches. */
const ROUTES = contractOperations().map(({ method, template, dialect, exampleBody }) => ({
  method,
  template,
  path: template.replace(/\{[^}]+\}/g, randomUUID()),
  takesBody: exampleBody !== undefined,
  errorBody: ERROR_BODY[dialect],
}));

describe('request hygiene', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(HTTP);
  });
  afterAll(() => harness.close());

  const headers = (extra: Record<string, string>) => ({
    Authorization: `Bearer ${harness.rootKey}`,
    'X-API-KEY': harness.rootKey,
    'Content-Type': 'application/json',
    ...extra,
  });

  it.each(ROUTES)('$method $template: 406 when the client accepts no JSON, in the dialect’s body', async (route) => {
    const body = route.takesBody ? { body: '{}' } : {};
    for (const accept of ['text/html', 'application/xml, text/plain', 'application/json;q=0']) {
      const response = await harness.fetch(route.path, {
        method: route.method,
        headers: headers({ Accept: accept }),
        ...body,
      });
      expect(response.status, accept).toBe(406);
      expect((await harness.conforming(route.method, route.template, response)).body).toEqual(route.errorBody);
    }
    for (const accept of ['application/json', '*/*', 'application/*', 'text/html, application/json;q=0.5']) {
      const response = await harness.fetch(route.path, {
        method: route.method,
        headers: headers({ Accept: accept }),
        ...body,
      });
      expect(response.status, accept).not.toBe(406);
    }
  });

  it.each(ROUTES.filter((route) => route.takesBody))(
    '$method $template: 413 for a body over 64 KiB, in the dialect’s body, before reading it',
    async (route) => {
      const response = await harness.fetch(route.path, {
        method: route.method,
        headers: headers({}),
        body: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
      });
      expect(response.status).toBe(413);
      expect((await harness.conforming(route.method, route.template, response)).body).toEqual(route.errorBody);
    },
  );

  it('counts a chunked body as it arrives: 413 once over the limit, and a small one is read whole', async () => {
    const chunked = (text: string): RequestInit => ({
      method: 'POST',
      headers: headers({}),
      duplex: 'half' as const,
      body: new ReadableStream({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let at = 0; at < bytes.length; at += 8 * 1024) controller.enqueue(bytes.slice(at, at + 8 * 1024));
          controller.close();
        },
      }),
    });
    const large = await harness.fetch('/v1/api_key/', chunked(JSON.stringify({ name: 'x'.repeat(70 * 1024) })));
    expect(large.status).toBe(413);
    expect((await harness.conforming('post', '/v1/api_key/', large)).body).toEqual(ERROR_BODY.diga);
    const small = await harness.fetch('/v1/api_key/', chunked(JSON.stringify({ name: 'chunked', restricted: false })));
    expect(small.status).toBe(200);
    expect(((await small.json()) as { name: string }).name).toBe('chunked');
  });

  it('refuses absurd headers and query strings before any route sees them', async () => {
    const hugeHeader = await harness.fetch('/v1/api_key/', {
      headers: { Authorization: `Bearer ${harness.rootKey}`, 'X-Padding': 'x'.repeat(20_000) },
    });
    expect(hugeHeader.status).toBe(431);
    const hugeQuery = await harness.fetch(`/v1/api_key/?after=${'x'.repeat(20_000)}`, {
      headers: { Authorization: `Bearer ${harness.rootKey}` },
    });
    expect(hugeQuery.status).toBe(431);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const HTTP = { transport: 'http', store: 'embedded', name: 'http, embedded store' } as const;

/** One request per dialect, with the template it is checked against. */
const ROUTES = [
  ['POST', '/v1/api_keys', '/v1/api_keys', { title: expect.any(String), status: expect.any(Number) }],
  [
    'POST',
    '/v1/api_key/',
    '/v1/api_key/',
    expect.objectContaining({ status: 'error', error_code: expect.any(String) }),
  ],
  [
    'POST',
    '/api-keys',
    '/api-keys',
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  ],
  [
    'POST',
    '/api/v1/applications',
    '/api/v1/applications',
    expect.objectContaining({ error: expect.any(String), code: expect.any(Number) }),
  ],
  [
    'POST',
    '/v1/keys/verify',
    '/v1/keys/verify',
    expect.objectContaining({ type: expect.any(String), status: expect.any(Number) }),
  ],
] as const;

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

  it.each(ROUTES)(
    '%s %s: 406 when the client accepts no JSON, in the dialect’s body',
    async (method, path, template, body) => {
      for (const accept of ['text/html', 'application/xml, text/plain', 'application/json;q=0']) {
        const response = await harness.fetch(path, { method, headers: headers({ Accept: accept }), body: '{}' });
        expect(response.status, accept).toBe(406);
        expect((await harness.conforming(method, template, response)).body).toEqual(body);
      }
      for (const accept of ['application/json', '*/*', 'application/*', 'text/html, application/json;q=0.5']) {
        const response = await harness.fetch(path, { method, headers: headers({ Accept: accept }), body: '{}' });
        expect(response.status, accept).not.toBe(406);
      }
    },
  );

  it.each(ROUTES)(
    '%s %s: 413 for a body over 64 KiB, in the dialect’s body, before reading it',
    async (method, path, template, body) => {
      const response = await harness.fetch(path, {
        method,
        headers: headers({}),
        body: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
      });
      expect(response.status).toBe(413);
      expect((await harness.conforming(method, template, response)).body).toEqual(body);
    },
  );

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

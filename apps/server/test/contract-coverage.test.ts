import { loadOpenApiDocument } from '@keyplane/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { type Harness, IN_PROCESS, startHarness } from './support/harness.js';

describe('the running server and the contract', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(IN_PROCESS);
  });
  afterAll(() => harness.close());

  it('implements every operation of the contract, and nothing else', () => {
    const document = loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const app = createApp({ keyplane: undefined as never });
    const implemented = app.openAPIRegistry.definitions
      .flatMap((definition) => (definition.type === 'route' ? [definition.route] : []))
      .map((route) => `${route.method.toUpperCase()} ${route.path}`)
      .sort();
    expect(implemented).toEqual(documented);
  });

  it('serves the merged document at /openapi.json', async () => {
    const response = await harness.fetch('/openapi.json');
    const { body } = await harness.conforming('GET', '/openapi.json', response);
    // The same document, naming as its server the address it was fetched at.
    const { servers, ...rest } = body as { servers: { url: string }[] };
    const { servers: _relative, ...committed } = loadOpenApiDocument();
    expect(rest).toEqual(committed);
    expect(servers.map(({ url }) => url)).toEqual([harness.baseUrl]);
  });

  it('answers unknown paths 404 in the body of the dialect the path belongs to', async () => {
    const cases = [
      ['/v1/api_keys/a/b', { title: 'Not Found', status: 404 }],
      ['/v1/api_key/a/b', { status: 'error', error_code: 'API_KEY_NOT_FOUND', message: expect.any(String) }],
      ['/api/v1/applications/a/b/c/d', { error: 'Not Found', code: 404, message: expect.any(String) }],
      ['/api-keys/a/b', { code: 'not_found', message: expect.any(String) }],
      ['/nowhere', expect.objectContaining({ status: 404, title: 'Not Found' })],
    ] as const;
    for (const [path, body] of cases) {
      const response = await harness.fetch(path);
      expect(response.status, path).toBe(404);
      expect(await response.json(), path).toEqual(body);
    }
  });
});

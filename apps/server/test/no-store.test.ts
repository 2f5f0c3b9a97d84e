import { randomUUID } from 'node:crypto';
import { loadOpenApiDocument } from '@keyplane/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

const EMBEDDED = SETUPS.filter((setup) => setup.store === 'embedded');

const document = loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
const OPERATIONS = Object.entries(document.paths).flatMap(([template, item]) =>
  Object.keys(item).map((method) => ({ method: method.toUpperCase(), template })),
);

describe.each(EMBEDDED)('Cache-Control: no-store over $name', (setup) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  it('is on every answer that hands out a key secret', async () => {
    const organization = await newOrganization(harness);
    const client = organization.client();
    const discueClient = organization.client('apiKey');
    const answers: [string, Response, unknown][] = [];
    const keep = (operation: string, { response, data }: { response: Response; data?: unknown }) =>
      answers.push([operation, response, data]);

    keep('discue POST /v1/api_keys', await discueClient.POST('/v1/api_keys', { body: { name: 'discue' } }));
    keep('aerospike POST /api-keys', await client.POST('/api-keys', { body: { name: 'aerospike' } }));
    keep('diga POST /v1/api_key/', await client.POST('/v1/api_key/', { body: { name: 'diga', restricted: false } }));
    keep(
      'kadosei POST /api/v1/applications/{id}/api-keys',
      await client.POST('/api/v1/applications/{id}/api-keys', {
        params: { path: { id: organization.defaultApplicationId } },
        body: { name: 'kadosei' },
      }),
    );
    keep(
      'POST /v1/keys/{keyId}/rotate',
      await client.POST('/v1/keys/{keyId}/rotate', {
        params: { path: { keyId: organization.adminKeyId } },
        body: { gracePeriodSeconds: 60 },
      }),
    );
    keep(
      'POST /v1/organizations',
      await harness.client({ bearer: harness.rootKey }).POST('/v1/organizations', { body: { name: 'another' } }),
    );
    for (const [operation, response, data] of answers) {
      expect(response.status, operation).toBeLessThan(300);
      expect(JSON.stringify(data), operation).toMatch(/kp_/);
      expect(response.headers.get('cache-control'), operation).toBe('no-store');
    }
  });

  it('is on error answers too, from a handler, from authentication and for no route at all', async () => {
    const answers = [
      await harness.fetch('/v1/api_key/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${harness.rootKey}`, 'Content-Type': 'application/json' },
        body: '{"name":',
      }),
      await harness.fetch('/api-keys', { headers: { Authorization: 'Bearer kp_wrong' } }),
      await harness.fetch(`/nowhere/${randomUUID()}`),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([422, 401, 404]);
    for (const answer of answers) expect(answer.headers.get('cache-control'), String(answer.status)).toBe('no-store');
  });

  it('is on an answer of every operation the contract lists', async () => {
    expect(OPERATIONS.length).toBeGreaterThan(20);
    for (const { method, template } of OPERATIONS) {
      const path = template.replace(/\{[^}]+\}/g, randomUUID());
      const response = await harness.fetch(path, {
        method,
        headers: { Authorization: `Bearer ${harness.rootKey}`, 'Content-Type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });
      await response.arrayBuffer();
      expect(response.headers.get('cache-control'), `${method} ${template} (${response.status})`).toBe('no-store');
      // Token grants keep the extra header HTTP/1.0 caches read (RFC 6749, 5.1).
      if (template === '/oauth/token' && response.ok) expect(response.headers.get('pragma')).toBe('no-cache');
    }
  });
});

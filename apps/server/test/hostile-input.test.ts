import { keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

/** Text PostgreSQL cannot store, and numbers past what a date can hold. */
const UNSTORABLE = ['nul \u0000 byte', 'lone \ud800 surrogate', 'trailing \udc00'];

describe.each(SETUPS)('input a store cannot take, over $name', (setup) => {
  let harness: Harness;
  let organization: Awaited<ReturnType<typeof newOrganization>>;

  beforeAll(async () => {
    harness = await startHarness(setup);
    organization = await newOrganization(harness);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const send = (method: string, path: string, body: unknown) =>
    harness.fetch(path, {
      method,
      headers: { Authorization: `Bearer ${organization.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses unstorable text in every stored field with the dialect’s validation error, and stores nothing', async () => {
    const before = (await keyplane.listAuditEvents(organization.client(), { limit: 100 })).data.length;
    const application = organization.defaultApplicationId;
    for (const text of UNSTORABLE) {
      const cases: [string, string, string, unknown, number][] = [
        ['POST', '/v1/api_keys', '/v1/api_keys', { name: text }, 422],
        [
          'POST',
          '/v1/api_keys',
          '/v1/api_keys',
          { scopes: [{ resource: 'queues', access: 'read', targets: [text] }] },
          422,
        ],
        ['POST', '/v1/api_key/', '/v1/api_key/', { name: text, restricted: false }, 422],
        ['POST', '/api-keys', '/api-keys', { name: text }, 400],
        ['POST', '/api/v1/applications', '/api/v1/applications', { name: text }, 400],
        ['POST', '/api/v1/applications', '/api/v1/applications', { name: 'ok', description: text }, 400],
        [
          'POST',
          `/api/v1/applications/${application}/api-keys`,
          '/api/v1/applications/{id}/api-keys',
          { name: 'ok', permissions: [`queues.read:${text}`] },
          400,
        ],
        ['POST', '/v1/organizations', '/v1/organizations', { name: text }, 400],
      ];
      for (const [method, path, template, body, status] of cases) {
        const headers =
          path === '/v1/organizations'
            ? { Authorization: `Bearer ${harness.rootKey}`, 'Content-Type': 'application/json' }
            : undefined;
        const response = headers
          ? await harness.fetch(path, { method, headers, body: JSON.stringify(body) })
          : await send(method, path, body);
        expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(status);
        await harness.conforming(method, template, response);
      }
    }
    expect((await keyplane.listAuditEvents(organization.client(), { limit: 100 })).data).toHaveLength(before);
  });

  it('refuses expiry times past what a date can hold', async () => {
    const discueAnswer = await send('POST', '/v1/api_keys', { expires_at: 9e15 });
    expect(discueAnswer.status).toBe(422);
    const digaAnswer = await send('POST', '/v1/api_key/', {
      name: 'x',
      restricted: false,
      expiry_date: '+275760-09-13T00:00:00.000Z',
    });
    expect(digaAnswer.status).toBe(422);
    const kadoseiAnswer = await send('POST', `/api/v1/applications/${organization.defaultApplicationId}/api-keys`, {
      name: 'x',
      expiresAt: '10000-01-01T00:00:00Z',
    });
    expect(kadoseiAnswer.status).toBe(400);
  });

  it('refuses forged audit cursors with 400', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from('seq:-1').toString('base64url'),
      Buffer.from('seq:99999999999999999999').toString('base64url'),
    ]) {
      const response = await harness.fetch(`/v1/audit-events?cursor=${cursor}`, {
        headers: { Authorization: `Bearer ${organization.adminKey}` },
      });
      expect(response.status, cursor).toBe(400);
      await harness.conforming('GET', '/v1/audit-events', response);
    }
  });
});

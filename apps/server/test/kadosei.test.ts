import { randomUUID } from 'node:crypto';
import { aerospike, diga, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

describe.each(SETUPS)('Kadosei applications and keys over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  it('creates, reads and lists applications beside the default one', async () => {
    const organization = await newOrganization(harness);
    const client = organization.client();
    const created = await kadosei.createApplication(client, { name: 'billing', description: 'invoices' });
    expect(created).toMatchObject({ name: 'billing', description: 'invoices', isDefault: false });
    expect(await kadosei.getApplication(client, created.id)).toEqual(created);
    const listed = await kadosei.listApplications(client);
    expect(listed.map((application) => application.id)).toEqual([organization.defaultApplicationId, created.id]);
    const missing = await client.GET('/api/v1/applications/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ error: 'Not Found', code: 404 });
  });

  it('creates keys under an application, lists and reads them there only', async () => {
    const organization = await newOrganization(harness);
    const client = organization.client();
    const billing = await kadosei.createApplication(client, { name: 'billing' });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await kadosei.createKey(client, billing.id, {
      name: 'invoice worker',
      permissions: ['invoices.read', 'invoices.write:inv-1'],
      expiresAt,
    });
    expect(created).toMatchObject({
      applicationId: billing.id,
      name: 'invoice worker',
      permissions: ['invoices.read', 'invoices.write:inv-1'],
      status: 'enabled',
      expiresAt,
      lastUsedAt: null,
      prefix: created.key.slice(0, 7),
    });
    const { key: secret, ...stored } = created;
    expect(await kadosei.getKey(client, billing.id, created.id)).toEqual(stored);
    expect(await kadosei.listKeys(client, billing.id)).toEqual([stored]);
    expect(JSON.stringify(await kadosei.listKeys(client, billing.id))).not.toContain(secret);
    expect((await kadosei.listKeys(client, organization.defaultApplicationId)).map((key) => key.id)).not.toContain(
      created.id,
    );

    const elsewhere = await client.GET('/api/v1/applications/{id}/api-keys/{keyId}', {
      params: { path: { id: organization.defaultApplicationId, keyId: created.id } },
    });
    expect(elsewhere.response.status).toBe(404);
    const noApplication = await client.POST('/api/v1/applications/{id}/api-keys', {
      params: { path: { id: randomUUID() } },
      body: { name: 'orphan' },
    });
    expect(noApplication.response.status).toBe(404);
  });

  it('gives a key without permissions everything its creator holds', async () => {
    const organization = await newOrganization(harness);
    const client = organization.client();
    const key = await kadosei.createKey(client, organization.defaultApplicationId, { name: 'admin-like' });
    expect(key.permissions).toBeNull();
    const narrow = await kadosei.createKey(client, organization.defaultApplicationId, {
      name: 'narrow',
      permissions: ['api_keys.create', 'calls.view'],
    });
    const asNarrow = harness.client({ bearer: narrow.key });
    const inherited = await kadosei.createKey(asNarrow, organization.defaultApplicationId, { name: 'inherits' });
    expect(inherited.permissions).toEqual(['api_keys.create', 'calls.view']);
    // diga shows only what keyplane enforces: a raw api_keys.view grant is not its api_keys.view.
    const viewer = await kadosei.createKey(client, organization.defaultApplicationId, {
      name: 'viewer',
      permissions: ['api_keys.view'],
    });
    expect((await diga.getKey(client, viewer.id)).permissions).toEqual([]);
    expect((await harness.client({ bearer: viewer.key }).GET('/v1/api_key/')).response.status).toBe(403);
  });

  it('answers bad input with 400 and details, and accepts OAuth access tokens as Bearer', async () => {
    const organization = await newOrganization(harness);
    const client = organization.client();
    const response = await harness.fetch(`/api/v1/applications/${organization.defaultApplicationId}/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${organization.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '', permissions: ['not a permission'] }),
    });
    expect(response.status).toBe(400);
    const { body } = await harness.conforming('POST', '/api/v1/applications/{id}/api-keys', response);
    expect(body).toMatchObject({ error: 'Bad Request', code: 400 });
    expect((body as { details: { field: string }[] }).details.map((detail) => detail.field).sort()).toEqual([
      'name',
      'permissions.0',
    ]);

    const { clientId, clientSecret } = await aerospike.createKey(client, 'token holder');
    const withToken = harness.client({ bearer: (await aerospike.token(client, clientId, clientSecret)).access_token });
    const victim = await kadosei.createKey(client, organization.defaultApplicationId, { name: 'victim' });
    await kadosei.revokeKey(withToken, organization.defaultApplicationId, victim.id);
    expect((await keyplane.verifyKey(client, victim.key)).code).toBe('NOT_FOUND');
  });
});

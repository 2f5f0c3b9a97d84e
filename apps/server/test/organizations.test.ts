import { randomUUID } from 'node:crypto';
import { diga, discue, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

describe.each(SETUPS)('organizations over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  it('lets the root credential create an organization with its first admin key, shown once', async () => {
    const root = harness.client({ apiKey: harness.rootKey });
    const { data, response } = await root.POST('/v1/organizations', { body: { name: 'Acme' } });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({
      name: 'Acme',
      adminKey: { id: expect.any(String), key: expect.stringMatching(/^kp_/) },
    });
    const admin = harness.client({ bearer: data?.adminKey.key as string });
    const applications = await kadosei.listApplications(admin);
    expect(applications).toEqual([expect.objectContaining({ id: data?.defaultApplicationId, isDefault: true })]);
    const keys = await diga.listKeys(admin);
    expect(keys.data.map((key) => key.id)).toEqual([data?.adminKey.id]);
    expect(JSON.stringify(keys)).not.toContain(data?.adminKey.key);
  });

  it('refuses anyone but the root credential, and bad names', async () => {
    const organization = await newOrganization(harness);
    const denied = await organization.client().POST('/v1/organizations', { body: { name: 'Nested' } });
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({ status: 403, title: 'Forbidden' });
    const anonymous = await harness.client().POST('/v1/organizations', { body: { name: 'Nobody' } });
    expect(anonymous.response.status).toBe(401);
    const invalid = await harness.client({ apiKey: harness.rootKey }).POST('/v1/organizations', { body: { name: '' } });
    expect(invalid.response.status).toBe(400);
  });

  it('keeps every organization’s keys, applications and log out of the others’ reach', async () => {
    const a = await newOrganization(harness, 'A');
    const b = await newOrganization(harness, 'B');
    const secretOfA = (await diga.createKey(a.client(), { name: 'a-key', restricted: false })).value as string;
    const keyOfA = (await diga.listKeys(a.client())).data.find((key) => key.name === 'a-key')?.id as string;
    const applicationOfA = await kadosei.createApplication(a.client(), { name: 'a-app' });

    const asB = b.client('apiKey');
    const missingId = randomUUID();
    const pairs: [string, RequestInit][] = [
      [`/v1/api_keys/${keyOfA}`, { method: 'GET' }],
      [`/v1/api_keys/${keyOfA}`, { method: 'DELETE' }],
      [`/v1/api_key/${keyOfA}`, { method: 'GET' }],
      [`/v1/api_key/${keyOfA}`, { method: 'DELETE' }],
      [`/api-keys/${keyOfA}`, { method: 'DELETE' }],
      [`/api/v1/applications/${applicationOfA.id}`, { method: 'GET' }],
      [`/api/v1/applications/${a.defaultApplicationId}/api-keys/${keyOfA}`, { method: 'DELETE' }],
      [`/v1/keys/${keyOfA}/rotate`, { method: 'POST', body: '{}' }],
    ];
    for (const [path, init] of pairs) {
      const headers = { Authorization: `Bearer ${b.adminKey}`, 'Content-Type': 'application/json' };
      const theirs = await harness.fetch(path, { ...init, headers });
      const nobodys = await harness.fetch(
        path
          .replace(keyOfA, missingId)
          .replace(applicationOfA.id, missingId)
          .replace(a.defaultApplicationId, missingId),
        { ...init, headers },
      );
      expect(theirs.status, path).toBe(404);
      expect(await theirs.text(), path).toBe(await nobodys.text());
    }
    expect((await discue.listKeys(asB)).map((key) => key.id)).not.toContain(keyOfA);
    expect((await keyplane.verifyKey(asB, secretOfA)).code).toBe('NOT_FOUND');
    expect((await keyplane.verifyKey(a.client(), secretOfA)).code).toBe('VALID');
    const logOfB = await keyplane.listAuditEvents(asB, { limit: 100 });
    expect(logOfB.data.map((event) => event.targetId)).not.toContain(keyOfA);
    expect((await diga.getKey(a.client(), keyOfA)).name).toBe('a-key');
  });
});

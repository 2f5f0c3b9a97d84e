import { diga, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

describe.each(SETUPS)('concurrent requests over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  it('deletes a key once: one success, every other delete 404', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const { id } = await diga.createKey(admin, { name: 'contended', restricted: false });
    const statuses = await Promise.all(
      Array.from({ length: 25 }, async (_, index) => {
        const answer =
          index % 2 === 0
            ? await admin.DELETE('/v1/api_key/{id}', { params: { path: { id } } })
            : await admin.DELETE('/api-keys/{clientId}', { params: { path: { clientId: id } } });
        return answer.response.status;
      }),
    );
    expect(statuses.filter((status) => status === 200 || status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(24);
    const deletions = (await keyplane.listAuditEvents(admin, { limit: 100 })).data.filter(
      (event) => event.targetId === id && event.action === 'api_key.deleted',
    );
    expect(deletions).toHaveLength(1);
  });

  it('never lets concurrent creates collide', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, index) => diga.createKey(admin, { name: `parallel ${index}`, restricted: false })),
    );
    expect(new Set(created.map((key) => key.id)).size).toBe(30);
    expect(new Set(created.map((key) => key.value)).size).toBe(30);
    expect((await diga.listKeys(admin, { limit: 100 })).data).toHaveLength(31);
  });

  it('leaves a consistent state when a rotation races a delete', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    for (let round = 0; round < 8; round += 1) {
      const { id, value } = await diga.createKey(admin, { name: `race ${round}`, restricted: false });
      const [rotation, deletion] = await Promise.all([
        admin.POST('/v1/keys/{keyId}/rotate', { params: { path: { keyId: id } }, body: { gracePeriodSeconds: 600 } }),
        admin.DELETE('/v1/api_key/{id}', { params: { path: { id } } }),
      ]);
      expect([200, 404]).toContain(rotation.response.status);
      expect(deletion.response.status).toBe(200);
      expect((await admin.GET('/v1/api_key/{id}', { params: { path: { id } } })).response.status).toBe(404);
      for (const secret of [value as string, rotation.data?.key].filter(Boolean) as string[]) {
        expect((await keyplane.verifyKey(admin, secret)).code).toBe('NOT_FOUND');
      }
    }
  });
});

import { discue, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

/** What one tenant can make the service do is bounded, and nothing it is shown tells of another. */
describe.each(SETUPS)('tenant bounds over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  describe('one tenant cannot make another pay for its size', () => {
    it('holds an organization to its key quota in every dialect’s own error', async () => {
      const small = await startHarness(setup, { maxKeysPerOrganization: 3 });
      try {
        const organization = await newOrganization(small);
        const admin = organization.client();
        const kept = await discue.createKey(admin, {});
        await discue.createKey(admin, {});
        const discueRefused = await admin.POST('/v1/api_keys', { body: {} });
        expect(discueRefused.response.status).toBe(402);
        expect(discueRefused.error).toEqual({ title: 'Payment Required', status: 402 });
        const aerospikeRefused = await admin.POST('/api-keys', { body: { name: 'more' } });
        expect(aerospikeRefused.response.status).toBe(403);
        expect(aerospikeRefused.error).toMatchObject({ code: 'quota_exceeded' });
        const digaRefused = await admin.POST('/v1/api_key/', { body: { name: 'more', restricted: false } });
        expect(digaRefused.response.status).toBe(403);
        expect(digaRefused.error).toMatchObject({ error_code: 'API_KEY_QUOTA_EXCEEDED' });
        const kadoseiRefused = await admin.POST('/api/v1/applications/{id}/api-keys', {
          params: { path: { id: organization.defaultApplicationId } },
          body: { name: 'more' },
        });
        expect(kadoseiRefused.response.status).toBe(403);
        expect(kadoseiRefused.error).toMatchObject({ error: 'Forbidden', code: 403 });
        expect(await discue.listKeys(admin)).toHaveLength(3);
        await discue.deleteKey(admin, kept.id);
        await discue.createKey(admin, {});
        // The quota is the organization's: another one still has all of its own.
        const other = await newOrganization(small);
        await discue.createKey(other.client(), {});
        await discue.createKey(other.client(), {});
      } finally {
        await small.close();
      }
      expect(small.unexpectedErrors).toEqual([]);
    });

    it('pages discue’s list when asked to, and still answers the whole list when not', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const made = [organization.adminKeyId];
      for (let index = 0; index < 4; index += 1) made.push((await discue.createKey(admin, { name: `k${index}` })).id);
      expect((await discue.listKeys(admin)).map((key) => key.id)).toEqual(made);
      const seen: string[] = [];
      let page = await discue.listKeyPage(admin, { limit: 2 });
      seen.push(...page.api_keys.map((key) => key.id));
      while (page._links.next) {
        const response = await harness.fetch(page._links.next.href, {
          headers: { 'X-API-KEY': organization.adminKey },
        });
        page = (await harness.conforming('GET', '/v1/api_keys', response)).body as typeof page;
        seen.push(...page.api_keys.map((key) => key.id));
      }
      expect(seen).toEqual(made);
    });

    it('pages Kadosei’s lists of applications and keys', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const applications = [organization.defaultApplicationId];
      for (let index = 0; index < 4; index += 1)
        applications.push((await kadosei.createApplication(admin, { name: `a${index}` })).id);
      const first = await kadosei.listApplicationPage(admin, { limit: 2 });
      expect(first.data.map((application) => application.id)).toEqual(applications.slice(0, 2));
      expect(first.nextCursor).toEqual(expect.any(String));
      expect((await kadosei.listApplications(admin)).map((application) => application.id)).toEqual(applications);

      const billing = applications[1] as string;
      const keys: string[] = [];
      for (let index = 0; index < 3; index += 1)
        keys.push((await kadosei.createKey(admin, billing, { name: `k${index}` })).id);
      const keyPage = await kadosei.listKeyPage(admin, billing, { limit: 2 });
      expect(keyPage.data.map((key) => key.id)).toEqual(keys.slice(0, 2));
      const rest = await kadosei.listKeyPage(admin, billing, { limit: 2, cursor: keyPage.nextCursor as string });
      expect(rest).toMatchObject({ data: [{ id: keys[2] }], nextCursor: null });
    });
  });

  describe('cursors tell nothing and work nowhere else', () => {
    const tamper = (cursor: string) => `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'BB' : 'AA'}`;

    it('audit cursors are sealed to their organization: forged, tampered and foreign ones are refused', async () => {
      const first = await newOrganization(harness);
      const second = await newOrganization(harness);
      for (let index = 0; index < 3; index += 1) await discue.createKey(first.client(), {});
      const page = await keyplane.listAuditEvents(first.client(), { limit: 1 });
      const cursor = page.nextCursor as string;
      expect((await keyplane.listAuditEvents(first.client(), { limit: 1, cursor })).data).toHaveLength(1);
      const forged = Buffer.from('seq:1').toString('base64url');
      for (const [client, candidate] of [
        [first.client(), tamper(cursor)],
        [first.client(), forged],
        [second.client(), cursor],
      ] as const) {
        const refused = await client.GET('/v1/audit-events', { params: { query: { cursor: candidate } } });
        expect(refused.response.status).toBe(400);
        expect(refused.error).toMatchObject({ status: 400, type: 'urn:keyplane:error:invalid' });
      }
    });

    it('list cursors of discue and Kadosei are refused in each dialect’s own error when tampered or foreign', async () => {
      const first = await newOrganization(harness);
      const second = await newOrganization(harness);
      for (let index = 0; index < 3; index += 1) await discue.createKey(first.client(), {});
      const discueCursor = new URL(
        (await discue.listKeyPage(first.client(), { limit: 1 }))._links.next?.href as string,
        'http://x',
      ).searchParams.get('cursor') as string;
      for (const [client, cursor] of [
        [first.client(), tamper(discueCursor)],
        [second.client(), discueCursor],
      ] as const) {
        const refused = await client.GET('/v1/api_keys', { params: { query: { limit: 1, cursor } } });
        expect(refused.response.status).toBe(400);
        expect(refused.error).toEqual({ title: 'Bad Request', status: 400 });
      }
      const kadoseiCursor = (await kadosei.listKeyPage(first.client(), first.defaultApplicationId, { limit: 1 }))
        .nextCursor as string;
      const application = await kadosei.createApplication(first.client(), { name: 'elsewhere' });
      for (const [client, applicationId, cursor] of [
        [first.client(), first.defaultApplicationId, tamper(kadoseiCursor)],
        [first.client(), application.id, kadoseiCursor],
      ] as const) {
        const refused = await client.GET('/api/v1/applications/{id}/api-keys', {
          params: { path: { id: applicationId }, query: { cursor } },
        });
        expect(refused.response.status).toBe(400);
        expect(refused.error).toMatchObject({ error: 'Bad Request', code: 400 });
      }
    });
  });
});

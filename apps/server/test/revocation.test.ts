import { aerospike, diga, discue, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES, deleteThrough, probe } from './support/dialects.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

/** Revocation without holes: every way a key, or a token of it, could outlive what took it away. */
describe.each(SETUPS)('revocation over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup, { tokenTtlSeconds: 300 });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  /** A key that has been used every way (so any cache holds it), with an access token of it. */
  async function usedKey(organization: Awaited<ReturnType<typeof newOrganization>>) {
    const admin = organization.client();
    const created = await kadosei.createKey(admin, organization.defaultApplicationId, { name: 'in use' });
    const token = (await aerospike.token(admin, created.id, created.key)).access_token;
    expect(await probe(harness, 'diga', { bearer: created.key })).toBe('authenticated');
    expect(await probe(harness, 'kadosei', { bearer: token })).toBe('authenticated');
    expect((await keyplane.verifyKey(admin, created.key)).code).toBe('VALID');
    return { id: created.id, secret: created.key, token };
  }

  describe('an id in upper or mixed case names the same key', () => {
    it.each(DIALECT_NAMES)('deleting through %s by the upper-case id ends the key and its tokens', async (dialect) => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const key = await usedKey(organization);
      const deleted = await deleteThrough(
        dialect,
        admin,
        key.id.toUpperCase(),
        organization.defaultApplicationId.toUpperCase(),
      );
      expect(deleted.status, JSON.stringify(deleted.body)).toBeLessThan(300);
      expect(await probe(harness, 'diga', { bearer: key.secret })).toBe('rejected');
      expect(await probe(harness, 'discue', { apiKey: key.secret })).toBe('rejected');
      expect(await probe(harness, 'kadosei', { bearer: key.token })).toBe('rejected');
      expect(await keyplane.verifyKey(admin, key.secret)).toEqual({ valid: false, code: 'NOT_FOUND' });
      const [event] = (await keyplane.listAuditEvents(admin, { limit: 1 })).data;
      expect(event).toMatchObject({ action: 'api_key.deleted', targetId: key.id });
    });

    it('disabling, restricting and rotating by a mixed-case id take effect at once', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const mixed = (id: string) =>
        id.replace(/[a-f]/g, (letter, at: number) => (at % 2 ? letter.toUpperCase() : letter));

      const disabled = await usedKey(organization);
      await discue.updateKey(admin, mixed(disabled.id), { status: 'disabled' });
      expect(await probe(harness, 'diga', { bearer: disabled.secret })).toBe('rejected');
      expect(await probe(harness, 'kadosei', { bearer: disabled.token })).toBe('rejected');
      expect((await keyplane.verifyKey(admin, disabled.secret)).code).toBe('DISABLED');

      const restricted = await usedKey(organization);
      await diga.updateKey(admin, mixed(restricted.id), { restricted: true, permissions: ['calls.view'] });
      expect((await keyplane.verifyKey(admin, restricted.secret, ['api_keys.read'])).code).toBe(
        'INSUFFICIENT_PERMISSIONS',
      );
      const asRestricted = harness.client({ bearer: restricted.secret });
      expect((await asRestricted.GET('/v1/api_key/')).response.status).toBe(403);

      const rotated = await usedKey(organization);
      const rotation = await keyplane.rotateKey(admin, mixed(rotated.id), 0);
      expect(rotation.id).toBe(rotated.id);
      expect(await probe(harness, 'diga', { bearer: rotated.secret })).toBe('rejected');
      expect(await probe(harness, 'kadosei', { bearer: rotated.token })).toBe('rejected');
      expect(await probe(harness, 'diga', { bearer: rotation.key })).toBe('authenticated');
    });

    it('names the same key in every read and cursor, whatever the case', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const key = await usedKey(organization);
      expect((await discue.getKey(admin, key.id.toUpperCase())).id).toBe(key.id);
      expect((await diga.getKey(admin, key.id.toUpperCase())).id).toBe(key.id);
      const kadoseiKey = await kadosei.getKey(
        admin,
        organization.defaultApplicationId.toUpperCase(),
        key.id.toUpperCase(),
      );
      expect(kadoseiKey).toMatchObject({ id: key.id, applicationId: organization.defaultApplicationId });
      const token = await aerospike.token(admin, key.id.toUpperCase(), key.secret);
      expect(await probe(harness, 'kadosei', { bearer: token.access_token })).toBe('authenticated');
      const page = await diga.listKeys(admin, { after: key.id.toUpperCase(), order: 'desc' });
      expect(page.data.map((listed) => listed.id)).toContain(organization.adminKeyId);
    });
  });

  describe('a token never outlives the secret that obtained it', () => {
    it('a token obtained with the old secret during the grace period ends with the grace period', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const key = await usedKey(organization);
      await keyplane.rotateKey(admin, key.id, 60);
      const graceToken = (await aerospike.token(admin, key.id, key.secret)).access_token;
      expect(await probe(harness, 'kadosei', { bearer: graceToken })).toBe('authenticated');
      expect(await probe(harness, 'kadosei', { bearer: key.token })).toBe('authenticated');
      harness.advanceClock(61_000);
      try {
        expect(await probe(harness, 'kadosei', { bearer: graceToken })).toBe('rejected');
        expect(await probe(harness, 'kadosei', { bearer: key.token })).toBe('rejected');
      } finally {
        harness.advanceClock(-61_000);
      }
    });

    it('a later rotation with a grace period does not bring back tokens an earlier rotation ended', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const key = await usedKey(organization);
      const first = await keyplane.rotateKey(admin, key.id, 0);
      expect(await probe(harness, 'kadosei', { bearer: key.token })).toBe('rejected');
      const current = (await aerospike.token(admin, key.id, first.key)).access_token;
      await keyplane.rotateKey(admin, key.id, 600);
      expect(await probe(harness, 'kadosei', { bearer: key.token })).toBe('rejected');
      expect(await probe(harness, 'kadosei', { bearer: current })).toBe('authenticated');
      await keyplane.rotateKey(admin, key.id, 600);
      expect(await probe(harness, 'kadosei', { bearer: current })).toBe('rejected');
    });
  });

  describe('no key brings another back to life without the power to create it', () => {
    async function updateOnly(organization: Awaited<ReturnType<typeof newOrganization>>) {
      const admin = organization.client();
      const updater = await kadosei.createKey(admin, organization.defaultApplicationId, {
        name: 'updater',
        permissions: ['api_keys.update', 'api_keys.read'],
      });
      return harness.client({ apiKey: updater.key });
    }

    it('refuses to re-enable a disabled key, but may disable one', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const updater = await updateOnly(organization);
      const victim = await discue.createKey(admin, {});
      const disabling = await updater.PUT('/v1/api_keys/{api_key_id}', {
        params: { path: { api_key_id: victim.id } },
        body: { status: 'disabled' },
      });
      expect(disabling.response.status).toBe(200);
      const enabling = await updater.PUT('/v1/api_keys/{api_key_id}', {
        params: { path: { api_key_id: victim.id } },
        body: { status: 'enabled' },
      });
      expect(enabling.response.status).toBe(403);
      expect(enabling.error).toEqual({ title: 'Forbidden', status: 403 });
      expect((await discue.getKey(admin, victim.id)).status).toBe('disabled');
      expect(await probe(harness, 'discue', { apiKey: victim.secret })).toBe('rejected');
      // Sending back what the key already has revives nothing.
      const unchanged = await updater.PUT('/v1/api_keys/{api_key_id}', {
        params: { path: { api_key_id: victim.id } },
        body: { status: 'disabled', name: 'renamed' },
      });
      expect(unchanged.response.status).toBe(200);
      await discue.updateKey(admin, victim.id, { status: 'enabled' });
      expect(await probe(harness, 'discue', { apiKey: victim.secret })).toBe('authenticated');
    });

    it('refuses to extend or clear an expiry, but may bring it forward', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const updater = await updateOnly(organization);
      const expiresAt = Date.now() + 3_600_000;
      const victim = await discue.createKey(admin, { expires_at: expiresAt });
      const put = (expires_at: number | null) =>
        updater.PUT('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: victim.id } }, body: { expires_at } });
      expect((await put(null)).response.status).toBe(403);
      expect((await put(expiresAt + 86_400_000)).response.status).toBe(403);
      expect((await put(expiresAt - 60_000)).response.status).toBe(200);
      expect((await discue.getKey(admin, victim.id)).expires_at).toBe(expiresAt - 60_000);

      harness.advanceClock(3_600_000);
      try {
        expect(await probe(harness, 'discue', { apiKey: victim.secret })).toBe('rejected');
        expect((await put(null)).response.status).toBe(403);
        expect(await probe(harness, 'discue', { apiKey: victim.secret })).toBe('rejected');
      } finally {
        harness.advanceClock(-3_600_000);
      }
    });

    it('asks for every permission the key holds, even with api_keys.create', async () => {
      const organization = await newOrganization(harness);
      const admin = organization.client();
      const creator = await kadosei.createKey(admin, organization.defaultApplicationId, {
        name: 'creator',
        permissions: ['api_keys.update', 'api_keys.create', 'api_keys.read', 'calls.view'],
      });
      const victim = await diga.createKey(admin, { name: 'unrestricted', restricted: false });
      await discue.updateKey(admin, victim.id, { status: 'disabled' });
      const enabling = await harness.client({ apiKey: creator.key }).PUT('/v1/api_keys/{api_key_id}', {
        params: { path: { api_key_id: victim.id } },
        body: { status: 'enabled' },
      });
      expect(enabling.response.status).toBe(403);
      const weaker = await kadosei.createKey(admin, organization.defaultApplicationId, {
        name: 'weak',
        permissions: ['calls.view'],
      });
      await discue.updateKey(admin, weaker.id, { status: 'disabled' });
      await discue.updateKey(harness.client({ apiKey: creator.key }), weaker.id, { status: 'enabled' });
      expect((await keyplane.verifyKey(admin, weaker.key)).code).toBe('VALID');
    });
  });

  it('never loses one of two concurrent edits of a key’s access', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const key = await diga.createKey(admin, { name: 'edited', restricted: true, permissions: ['calls.view'] });
    const digaPermissions = [
      'calls.view',
      'agents.view',
      'tools.view',
      'webhooks.view',
      'stats.view',
      'logs.view',
    ] as const;
    for (const [round, permission] of digaPermissions.entries()) {
      const queue = `q-${round}`;
      await Promise.all([
        discue.updateKey(admin, key.id, { scopes: [{ resource: 'queues', access: 'read', targets: [queue] }] }),
        diga.updateKey(admin, key.id, { permissions: [permission] }),
      ]);
      const permissions = (await kadosei.getKey(admin, organization.defaultApplicationId, key.id)).permissions;
      expect(permissions?.sort(), `round ${round}`).toEqual([permission, `queues.read:${queue}`].sort());
    }
  });

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

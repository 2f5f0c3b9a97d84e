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
});

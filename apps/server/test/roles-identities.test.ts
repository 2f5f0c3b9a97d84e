import { createHash } from 'node:crypto';
import { keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

describe.each(SETUPS)('roles, identities, prefixes and imported keys over $name', (setup) => {
  let harness: Harness;
  let root: ReturnType<Harness['client']>;
  beforeAll(async () => {
    harness = await startHarness(setup);
    root = harness.client({ bearer: harness.rootKey });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  let sequence = 0;
  const unique = (name: string) => `${name}-${++sequence}-${setup.transport}`;

  const send = async (method: string, path: string, body?: unknown, credential = harness.rootKey) => {
    const response = await harness.fetch(path, {
      method,
      headers: { Authorization: `Bearer ${credential}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.clone().text();
    return { response, status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const verify = async (key: string, permissions?: string | string[]) =>
    (await send('POST', '/v1/keys/verify', { key, ...(permissions === undefined ? {} : { permissions }) })).body;

  describe('roles', () => {
    it('gives a key its roles’ permissions, and takes them away on the next request when the role narrows', async () => {
      const name = unique('billing');
      const created = await send('POST', '/v1/roles', { name, permissions: ['invoices.read', 'invoices.write'] });
      expect(created.status).toBe(201);
      await harness.conforming('POST', '/v1/roles', created.response);
      expect(created.body).toMatchObject({ name, permissions: ['invoices.read', 'invoices.write'] });
      const key = await keyplane.createKey(root, { name: 'with role', permissions: ['reports.read'], roles: [name] });
      expect(key.roles).toEqual([name]);
      expect(key.permissions).toEqual(['reports.read']);
      expect(await verify(key.key, 'invoices.write AND reports.read')).toMatchObject({
        code: 'VALID',
        roles: [name],
        permissions: ['invoices.read', 'invoices.write', 'reports.read'],
      });

      const narrowed = await send('PATCH', `/v1/roles/${name}`, { permissions: ['invoices.read'] });
      expect(narrowed.status).toBe(200);
      await harness.conforming('PATCH', '/v1/roles/{role}', narrowed.response);
      expect(await verify(key.key, ['invoices.write'])).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS' });
      expect(await verify(key.key, ['invoices.read'])).toMatchObject({ code: 'VALID' });

      const byId = await send('GET', `/v1/roles/${(created.body as { roleId: string }).roleId}`);
      expect(byId.body).toMatchObject({ name, permissions: ['invoices.read'] });
      expect((await send('DELETE', `/v1/roles/${name}`)).status).toBe(204);
      expect(await verify(key.key, ['invoices.read'])).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', roles: [] });
      expect((await keyplane.getKey(root, key.keyId)).roles).toEqual([]);
      expect((await send('GET', `/v1/roles/${name}`)).status).toBe(404);
    });

    it('grants through a role to the key that calls keyplane itself', async () => {
      const name = unique('key-admin');
      await send('POST', '/v1/roles', { name, permissions: ['api_keys.create', 'api_keys.read'] });
      const admin = await keyplane.createKey(root, { name: 'admin by role', permissions: [], roles: [name] });
      const made = await send('POST', '/v1/keys', { name: 'made by role', permissions: ['api_keys.read'] }, admin.key);
      expect(made.status).toBe(201);
      // Nothing beyond what the key and its roles hold.
      expect(
        (await send('POST', '/v1/keys', { name: 'too much', permissions: ['audit.read'] }, admin.key)).status,
      ).toBe(403);
      await send('PATCH', `/v1/roles/${name}`, { permissions: ['api_keys.read'] });
      expect((await send('POST', '/v1/keys', { name: 'no more' }, admin.key)).status).toBe(403);
    });

    it('refuses a role name taken, an unknown role, and a role or key holding more than its author', async () => {
      const name = unique('ops');
      expect((await send('POST', '/v1/roles', { name, permissions: [] })).status).toBe(201);
      const taken = await send('POST', '/v1/roles', { name, permissions: ['x.y'] });
      expect(taken.status).toBe(409);
      expect(taken.body).toMatchObject({ status: 409, title: 'Conflict' });
      await harness.conforming('POST', '/v1/roles', taken.response);
      expect((await send('POST', '/v1/keys', { name: 'k', roles: ['no-such-role'] })).status).toBe(404);
      expect((await send('POST', '/v1/roles', { name: 'bad name!', permissions: [] })).status).toBe(400);

      const wide = unique('wide');
      await send('POST', '/v1/roles', { name: wide, permissions: ['invoices.write'] });
      const limited = await keyplane.createKey(root, {
        name: 'limited',
        permissions: ['roles.create', 'roles.update', 'api_keys.create', 'api_keys.update'],
      });
      expect(
        (await send('POST', '/v1/roles', { name: unique('r'), permissions: ['invoices.write'] }, limited.key)).status,
      ).toBe(403);
      expect((await send('POST', '/v1/keys', { name: 'k', permissions: [], roles: [wide] }, limited.key)).status).toBe(
        403,
      );
      expect((await send('PATCH', `/v1/roles/${name}`, { permissions: ['invoices.write'] }, limited.key)).status).toBe(
        403,
      );
      const other = await keyplane.createKey(root, { name: 'other', permissions: [] });
      expect((await send('PATCH', `/v1/keys/${other.keyId}`, { roles: [wide] }, limited.key)).status).toBe(403);
      expect((await keyplane.getKey(root, other.keyId)).roles).toEqual([]);
      // Taking roles away is not escalation.
      const holder = await keyplane.createKey(root, { name: 'holder', permissions: [], roles: [wide] });
      expect((await send('PATCH', `/v1/keys/${holder.keyId}`, { roles: null }, limited.key)).status).toBe(200);
    });

    it('lists roles a page at a time', async () => {
      for (let index = 0; index < 3; index += 1)
        await send('POST', '/v1/roles', { name: unique('page'), permissions: [] });
      const first = await send('GET', '/v1/roles?limit=2');
      await harness.conforming('GET', '/v1/roles', first.response);
      const page = first.body as { data: unknown[]; nextCursor: string };
      expect(page.data).toHaveLength(2);
      const second = (await send('GET', `/v1/roles?limit=100&cursor=${encodeURIComponent(page.nextCursor)}`)).body as {
        data: { name: string }[];
      };
      expect(second.data.length).toBeGreaterThanOrEqual(1);
      expect((await send('GET', '/v1/roles?cursor=forged')).status).toBe(400);
    });
  });

  describe('identities', () => {
    it('links keys to the customer behind them, shares its metadata, and lists its keys', async () => {
      const externalId = unique('user');
      const first = await keyplane.createKey(root, { name: 'one', externalId });
      const second = await keyplane.createKey(root, { name: 'two', externalId });
      expect(first.identity).toMatchObject({ externalId, meta: null });
      expect(second.identity?.identityId).toBe(first.identity?.identityId);

      const updated = await send('PATCH', `/v1/identities/${externalId}`, { meta: { plan: 'pro' } });
      expect(updated.status).toBe(200);
      await harness.conforming('PATCH', '/v1/identities/{identity}', updated.response);
      expect(await verify(first.key)).toMatchObject({ code: 'VALID', identity: { externalId, meta: { plan: 'pro' } } });

      const listed = await send('GET', `/v1/keys?externalId=${encodeURIComponent(externalId)}`);
      await harness.conforming('GET', '/v1/keys', listed.response);
      expect((listed.body as { data: { keyId: string }[] }).data.map((key) => key.keyId).sort()).toEqual(
        [first.keyId, second.keyId].sort(),
      );
      expect((await send('GET', '/v1/keys?externalId=nobody-at-all')).body).toEqual({ data: [], nextCursor: null });

      const unlinked = await keyplane.updateKey(root, second.keyId, { externalId: null });
      expect(unlinked.identity).toBeNull();
    });

    it('refuses to delete an identity with keys unless asked, and then revokes them all', async () => {
      const externalId = unique('leaving');
      const created = await send('POST', '/v1/identities', { externalId, meta: { tier: 'gold' } });
      expect(created.status).toBe(201);
      await harness.conforming('POST', '/v1/identities', created.response);
      expect((await send('POST', '/v1/identities', { externalId })).status).toBe(409);
      const key = await keyplane.createKey(root, { name: 'theirs', externalId });
      expect(key.identity).toMatchObject({ externalId, meta: { tier: 'gold' } });

      const refused = await send('DELETE', `/v1/identities/${externalId}`);
      expect(refused.status).toBe(409);
      await harness.conforming('DELETE', '/v1/identities/{identity}', refused.response);
      expect(await verify(key.key)).toMatchObject({ code: 'VALID' });

      expect((await send('DELETE', `/v1/identities/${externalId}?deleteKeys=true`)).status).toBe(204);
      expect(await verify(key.key)).toEqual({ valid: false, code: 'NOT_FOUND' });
      expect((await send('GET', `/v1/identities/${externalId}`)).status).toBe(404);
      expect((await send('GET', `/v1/keys/${key.keyId}`)).status).toBe(404);
    });

    it('reads identities by id, and lists them', async () => {
      const externalId = unique('listed');
      const created = (await send('POST', '/v1/identities', { externalId })).body as { identityId: string };
      const byId = await send('GET', `/v1/identities/${created.identityId}`);
      await harness.conforming('GET', '/v1/identities/{identity}', byId.response);
      expect(byId.body).toMatchObject({ externalId, meta: null });
      const list = await send('GET', '/v1/identities?limit=100');
      await harness.conforming('GET', '/v1/identities', list.response);
      expect((list.body as { data: { externalId: string }[] }).data.map((item) => item.externalId)).toContain(
        externalId,
      );
    });
  });

  describe('prefixes and tags', () => {
    it('writes a platform’s prefix into the secret, checksum kept', async () => {
      const made = await keyplane.createKey(root, { name: 'prefixed', prefix: 'acme_live' });
      expect(made.key).toMatch(/^acme_live_[0-9A-Za-z]{49}$/);
      expect(made.start.startsWith('acme_live_')).toBe(true);
      expect(await verify(made.key)).toMatchObject({ code: 'VALID' });
      // One character changed fails the checksum.
      const typo = `${made.key.slice(0, -1)}${made.key.endsWith('a') ? 'b' : 'a'}`;
      expect(await verify(typo)).toEqual({ valid: false, code: 'NOT_FOUND' });
      expect((await send('POST', '/v1/keys', { name: 'x', prefix: 'Bad-Prefix' })).status).toBe(400);
      expect((await send('POST', '/v1/keys', { name: 'x', prefix: 'a'.repeat(17) })).status).toBe(400);
    });

    it('takes up to ten tags on a verification', async () => {
      const made = await keyplane.createKey(root, { name: 'tagged' });
      const tags = Array.from({ length: 10 }, (_, index) => `path=/v1/${index}`);
      expect((await send('POST', '/v1/keys/verify', { key: made.key, tags })).body).toMatchObject({ code: 'VALID' });
      expect((await send('POST', '/v1/keys/verify', { key: made.key, tags: [...tags, 'one more'] })).status).toBe(400);
      expect((await send('POST', '/v1/keys/verify', { key: made.key, tags: ['x'.repeat(129)] })).status).toBe(400);
    });
  });

  describe('imported keys', () => {
    const sha256 = (secret: string, encoding: 'hex' | 'base64' = 'hex') =>
      createHash('sha256').update(secret).digest(encoding);

    it('verifies a secret of another format once imported, and rehashes it at its first use', async () => {
      const secret = `legacy_${unique('secret')}_0123456789abcdef`;
      const other = `sk-${unique('other')}-ABCDEFGHIJKLMNOP`;
      const imported = await send('POST', '/v1/keys/import', {
        keys: [
          {
            hash: { algorithm: 'sha256', value: sha256(secret) },
            name: 'legacy',
            permissions: ['invoices.read'],
            externalId: unique('imp'),
          },
          { hash: { algorithm: 'sha256', value: sha256(other, 'base64') }, name: 'other' },
        ],
      });
      expect(imported.status).toBe(201);
      await harness.conforming('POST', '/v1/keys/import', imported.response);
      const [keyId, otherId] = (imported.body as { keyIds: string[] }).keyIds;
      expect((await keyplane.getKey(root, keyId as string)).start).toBe('');

      expect(await verify(secret, ['invoices.read'])).toMatchObject({ code: 'VALID', keyId, name: 'legacy' });
      // Found by keyplane's own digest from now on, and shows its start.
      expect(await verify(secret, ['invoices.read'])).toMatchObject({ code: 'VALID', keyId });
      expect((await keyplane.getKey(root, keyId as string)).start).toBe(secret.slice(0, 8));
      expect(await verify(`${secret}x`)).toEqual({ valid: false, code: 'NOT_FOUND' });

      // It authenticates as any key does.
      const asCaller = await send('GET', `/v1/keys/${otherId}`, undefined, other);
      expect(asCaller.status).toBe(403);
      expect(await verify(other)).toMatchObject({ code: 'VALID', keyId: otherId });
    });

    it('imports all or none, and refuses a secret stored already', async () => {
      const secret = `dup-${unique('secret')}-0123456789`;
      const one = { hash: { algorithm: 'sha256', value: sha256(secret) }, name: 'once' };
      expect((await send('POST', '/v1/keys/import', { keys: [one] })).status).toBe(201);
      const fresh = `fresh-${unique('secret')}-0123456789`;
      const again = await send('POST', '/v1/keys/import', {
        keys: [{ hash: { algorithm: 'sha256', value: sha256(fresh) }, name: 'fresh' }, one],
      });
      expect(again.status).toBe(409);
      await harness.conforming('POST', '/v1/keys/import', again.response);
      expect(await verify(fresh)).toEqual({ valid: false, code: 'NOT_FOUND' });
      for (const bad of [
        { keys: [] },
        { keys: [{ hash: { algorithm: 'md5', value: sha256(fresh) }, name: 'x' }] },
        { keys: [{ hash: { algorithm: 'sha256', value: 'not-a-digest' }, name: 'x' }] },
        { keys: [{ hash: { algorithm: 'sha256', value: sha256(fresh) }, name: 'x', prefix: 'abc' }] },
      ]) {
        expect((await send('POST', '/v1/keys/import', bad)).status).toBe(400);
      }
      expect(await verify(fresh)).toEqual({ valid: false, code: 'NOT_FOUND' });
    });
  });
});

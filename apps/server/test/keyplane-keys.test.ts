import { randomUUID } from 'node:crypto';
import { diga, discue, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES, probe } from './support/dialects.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

describe.each(SETUPS)("keyplane's own API keys over $name", (setup) => {
  let harness: Harness;
  let root: ReturnType<Harness['client']>;
  beforeAll(async () => {
    harness = await startHarness(setup);
    root = harness.client({ bearer: harness.rootKey });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const send = (method: string, path: string, body?: unknown, credential = harness.rootKey) =>
    harness.fetch(path, {
      method,
      headers: { Authorization: `Bearer ${credential}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('creates a key whose secret is shown once, and reads it back without it', async () => {
    const created = await keyplane.createKey(root, {
      name: 'customer-42',
      permissions: ['queues.read', 'listeners.write:l1'],
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    expect(created.key.startsWith(created.start)).toBe(true);
    expect(created).toMatchObject({
      name: 'customer-42',
      permissions: ['listeners.write:l1', 'queues.read'],
      enabled: true,
      expiresAt: '2099-01-01T00:00:00.000Z',
      lastUsedAt: null,
    });
    const { key: secret, ...shown } = created;
    expect(await keyplane.getKey(root, created.keyId)).toEqual(shown);
    expect(await keyplane.verifyKey(root, secret, 'queues.read AND listeners.write:l1')).toMatchObject({
      code: 'VALID',
    });
    const response = await send('POST', '/v1/keys', { name: 'again' });
    expect(response.status).toBe(201);
    await harness.conforming('POST', '/v1/keys', response);
  });

  it('keeps the platform’s metadata on a key as it was given, shows it on verification, and clears it', async () => {
    const meta = { customer: 'cus_42', plan: 'pro', limits: { seats: 12, regions: ['eu', 'us'] }, note: 'é 😀' };
    const made = await keyplane.createKey(root, { name: 'with meta', permissions: null, meta });
    expect(made.meta).toEqual(meta);
    expect((await keyplane.getKey(root, made.keyId)).meta).toEqual(meta);
    expect(await keyplane.verifyKey(root, made.key)).toMatchObject({ code: 'VALID', meta });
    expect((await keyplane.identifyKey(root, made.key)).meta).toEqual(meta);
    // Other fields change without it; it changes whole, and null clears it.
    expect((await keyplane.updateKey(root, made.keyId, { name: 'renamed' })).meta).toEqual(meta);
    expect((await keyplane.updateKey(root, made.keyId, { meta: { plan: 'free' } })).meta).toEqual({ plan: 'free' });
    expect((await keyplane.updateKey(root, made.keyId, { meta: null })).meta).toBeNull();
    expect((await keyplane.createKey(root, { name: 'plain' })).meta).toBeNull();
    // A key made by another dialect has none.
    const fromDiga = await diga.createKey(root, { name: 'diga', restricted: false });
    expect((await keyplane.getKey(root, fromDiga.id)).meta).toBeNull();
  });

  it('refuses metadata that is no object, over 4 KiB, or unstorable, and changes nothing', async () => {
    const made = await keyplane.createKey(root, { name: 'guarded', meta: { kept: true } });
    const large = { blob: 'x'.repeat(4_100) };
    const justFits = { blob: 'x'.repeat(4_096 - JSON.stringify({ blob: '' }).length) };
    expect((await keyplane.updateKey(root, made.keyId, { meta: justFits })).meta).toEqual(justFits);
    for (const meta of [large, ['a', 'list'], 'text', 42, { nul: 'a\u0000b' }, { '\ud800': 1 }]) {
      for (const [method, path] of [
        ['POST', '/v1/keys'],
        ['PATCH', `/v1/keys/${made.keyId}`],
      ] as const) {
        const response = await harness.fetch(path, {
          method,
          headers: { Authorization: `Bearer ${harness.rootKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(method === 'POST' ? { name: 'x', meta } : { meta }),
        });
        expect(response.status, `${method} ${JSON.stringify(meta).slice(0, 60)}`).toBe(400);
        await harness.conforming(method, method === 'POST' ? '/v1/keys' : '/v1/keys/{keyId}', response);
      }
    }
    expect((await keyplane.getKey(root, made.keyId)).meta).toEqual(justFits);
  });

  it('keeps a key to its IP allowlist, at verification and on every request made with it', async () => {
    const made = await keyplane.createKey(root, {
      name: 'fenced in',
      permissions: null,
      ipAllowlist: ['203.0.113.7', '10.1.0.0/16', '2001:db8::/32'],
    });
    expect(made.ipAllowlist).toEqual(['203.0.113.7', '10.1.0.0/16', '2001:db8::/32']);
    expect((await keyplane.getKey(root, made.keyId)).ipAllowlist).toEqual(made.ipAllowlist);
    const verify = async (ip?: string) => {
      const response = await send('POST', '/v1/keys/verify', { key: made.key, ...(ip === undefined ? {} : { ip }) });
      return ((await response.json()) as { code: string }).code;
    };
    for (const ip of ['203.0.113.7', '10.1.200.3', '2001:db8:abcd::1', '::ffff:10.1.0.9'])
      expect(await verify(ip), ip).toBe('VALID');
    for (const ip of ['203.0.113.8', '10.2.0.1', '2001:db9::1']) expect(await verify(ip), ip).toBe('FORBIDDEN');
    // With no address given, a key with an allowlist is used from none of its addresses.
    expect(await verify()).toBe('FORBIDDEN');
    const badIp = await send('POST', '/v1/keys/verify', { key: made.key, ip: 'not-an-address' });
    expect(badIp.status).toBe(400);
    await harness.conforming('POST', '/v1/keys/verify', badIp);
    expect((await keyplane.updateKey(root, made.keyId, { ipAllowlist: null })).ipAllowlist).toBeNull();
    expect(await verify()).toBe('VALID');
  });

  it('refuses a key used from outside its allowlist in every dialect, its tokens too, and nothing from inside', async () => {
    const fenced = await startHarness(setup, {
      trustProxy: true,
      rateLimits: { perKeyPerMinute: 0, failedAuthPerMinute: 3, lockoutSeconds: 60 },
    });
    try {
      const admin = fenced.client({ bearer: fenced.rootKey });
      const made = await keyplane.createKey(admin, {
        name: 'fenced',
        permissions: null,
        ipAllowlist: ['198.51.100.0/24'],
      });
      const from = (address: string) => ({ 'X-Forwarded-For': address, Authorization: `Bearer ${made.key}` });
      for (const path of ['/v1/api_keys', '/api-keys', '/v1/api_key/', '/api/v1/applications', '/v1/audit-events']) {
        const inside = await fenced.fetch(path, { headers: from('198.51.100.20') });
        expect(inside.status, path).toBe(200);
        await inside.arrayBuffer();
        const outside = await fenced.fetch(path, { headers: from('192.0.2.1') });
        expect(outside.status, path).toBe(403);
        await fenced.conforming('GET', path, outside);
      }
      const grant = (address: string) =>
        fenced.fetch('/oauth/token', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
          body: JSON.stringify({ grant_type: 'client_credentials', client_id: made.keyId, client_secret: made.key }),
        });
      const refused = await grant('192.0.2.1');
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'unauthorized_client' });
      const granted = await grant('198.51.100.20');
      expect(granted.status).toBe(200);
      const { access_token: token } = (await granted.json()) as { access_token: string };
      const withToken = (address: string) =>
        fenced.fetch('/api-keys', { headers: { 'X-Forwarded-For': address, Authorization: `Bearer ${token}` } });
      expect((await withToken('198.51.100.99')).status).toBe(200);
      expect((await withToken('192.0.2.1')).status).toBe(403);
      // A good key refused for its address is no failed guess: however often, it locks nothing out.
      for (let attempt = 0; attempt < 10; attempt += 1) expect((await withToken('192.0.2.1')).status).toBe(403);
      const rootFromThere = await fenced.fetch('/api-keys', {
        headers: { 'X-Forwarded-For': '192.0.2.1', Authorization: `Bearer ${fenced.rootKey}` },
      });
      expect(rootFromThere.status).toBe(200);
      expect(fenced.unexpectedErrors).toEqual([]);
    } finally {
      await fenced.close();
    }
  });

  it('lets api_keys.update narrow an allowlist, and only what creating needs widen it', async () => {
    const editor = await keyplane.createKey(root, {
      name: 'editor',
      permissions: ['api_keys.update', 'api_keys.read'],
    });
    const target = await keyplane.createKey(root, { name: 'target', ipAllowlist: ['10.0.0.0/8', '192.0.2.1'] });
    expect((await send('PATCH', `/v1/keys/${target.keyId}`, { ipAllowlist: ['192.0.2.1'] }, editor.key)).status).toBe(
      200,
    );
    for (const ipAllowlist of [['192.0.2.1', '10.0.0.0/8'], null]) {
      expect((await send('PATCH', `/v1/keys/${target.keyId}`, { ipAllowlist }, editor.key)).status).toBe(403);
    }
    expect((await keyplane.getKey(root, target.keyId)).ipAllowlist).toEqual(['192.0.2.1']);
  });

  it.each([
    [['300.1.1.1']],
    [['10.0.0.0/33']],
    [['example.com']],
    [Array.from({ length: 101 }, (_, index) => `10.0.0.${index % 250}`)],
    ['10.0.0.1'],
  ])('refuses the allowlist %j with a 400', async (ipAllowlist) => {
    const response = await send('POST', '/v1/keys', { name: 'x', ipAllowlist });
    expect(response.status).toBe(400);
    await harness.conforming('POST', '/v1/keys', response);
  });

  it('gives a key no permission unless asked, and every one for null', async () => {
    const none = await keyplane.createKey(root, { name: 'powerless' });
    expect(none.permissions).toEqual([]);
    expect(await keyplane.verifyKey(root, none.key, ['queues.read'])).toMatchObject({
      code: 'INSUFFICIENT_PERMISSIONS',
    });
    expect((await send('GET', `/v1/keys/${none.keyId}`, undefined, none.key)).status).toBe(403);
    const all = await keyplane.createKey(root, { name: 'everything', permissions: null });
    expect(all.permissions).toBeNull();
    expect(await keyplane.getKey(harness.client({ bearer: all.key }), none.keyId)).toMatchObject({ name: 'powerless' });
  });

  it('shares its keys with every dialect, both ways', async () => {
    const made = await keyplane.createKey(root, { name: 'shared', permissions: null });
    for (const dialect of DIALECT_NAMES)
      expect(await probe(harness, dialect, { bearer: made.key })).toBe('authenticated');
    expect((await diga.getKey(root, made.keyId)).name).toBe('shared');
    const fromDiscue = await discue.createKey(root, {
      name: 'from discue',
      scopes: [{ resource: 'queues', access: 'read', targets: ['q1'] }],
    });
    expect(await keyplane.getKey(root, fromDiscue.id)).toMatchObject({
      name: 'from discue',
      permissions: ['queues.read:q1'],
      enabled: true,
    });
  });

  it('changes only what is sent, and refuses a disabled key everywhere at once', async () => {
    const made = await keyplane.createKey(root, { name: 'editable', permissions: ['queues.read'] });
    const renamed = await keyplane.updateKey(root, made.keyId, { name: 'renamed' });
    expect(renamed).toMatchObject({ name: 'renamed', permissions: ['queues.read'], enabled: true });
    expect(await keyplane.updateKey(root, made.keyId, { permissions: ['listeners.read'] })).toMatchObject({
      permissions: ['listeners.read'],
    });
    expect(await keyplane.updateKey(root, made.keyId, { enabled: false })).toMatchObject({ enabled: false });
    expect(await keyplane.verifyKey(root, made.key)).toMatchObject({ code: 'DISABLED' });
    for (const dialect of DIALECT_NAMES) expect(await probe(harness, dialect, { bearer: made.key })).toBe('rejected');
    expect(await keyplane.updateKey(root, made.keyId, { enabled: true })).toMatchObject({ enabled: true });
    expect(await keyplane.verifyKey(root, made.key)).toMatchObject({ code: 'VALID' });
    const expiring = await keyplane.updateKey(root, made.keyId, { expiresAt: '2098-01-01T00:00:00.000Z' });
    expect(expiring.expiresAt).toBe('2098-01-01T00:00:00.000Z');
    expect((await keyplane.updateKey(root, made.keyId, { expiresAt: null })).expiresAt).toBeNull();
    expect(await keyplane.updateKey(root, made.keyId, {})).toMatchObject({ name: 'renamed' });
  });

  it('lets api_keys.update take power away, and only what creating needs give it back', async () => {
    const editor = await keyplane.createKey(root, {
      name: 'editor',
      permissions: ['api_keys.update', 'api_keys.read'],
    });
    const target = await keyplane.createKey(root, { name: 'target', permissions: ['queues.read'] });
    expect((await send('PATCH', `/v1/keys/${target.keyId}`, { enabled: false }, editor.key)).status).toBe(200);
    const reenable = await send('PATCH', `/v1/keys/${target.keyId}`, { enabled: true }, editor.key);
    expect(reenable.status).toBe(403);
    await harness.conforming('PATCH', '/v1/keys/{keyId}', reenable);
    const escalate = await send('PATCH', `/v1/keys/${target.keyId}`, { permissions: null }, editor.key);
    expect(escalate.status).toBe(403);
    expect((await keyplane.getKey(root, target.keyId)).enabled).toBe(false);
    const creator = await keyplane.createKey(root, {
      name: 'creator',
      permissions: ['api_keys.create', 'queues.read'],
    });
    expect((await send('POST', '/v1/keys', { name: 'x', permissions: ['queues.write'] }, creator.key)).status).toBe(
      403,
    );
    expect((await send('POST', '/v1/keys', { name: 'x', permissions: ['queues.read'] }, creator.key)).status).toBe(201);
  });

  it('tells which key a secret is, whatever its state, counting as no use of it', async () => {
    const made = await keyplane.createKey(root, { name: 'who', permissions: ['queues.read'] });
    const { key: secret, ...shown } = made;
    expect(await keyplane.identifyKey(root, secret)).toEqual(shown);
    await harness.flushUsage();
    expect((await keyplane.getKey(root, made.keyId)).lastUsedAt).toBeNull();
    await keyplane.updateKey(root, made.keyId, { enabled: false });
    expect(await keyplane.identifyKey(root, secret)).toMatchObject({ keyId: made.keyId, enabled: false });
    const reader = await keyplane.createKey(root, { name: 'reader', permissions: ['api_keys.read'] });
    expect((await keyplane.identifyKey(harness.client({ bearer: reader.key }), secret)).keyId).toBe(made.keyId);
    const other = await newOrganization(harness, 'stranger');
    const rotated = await keyplane.createKey(root, { name: 'rotated', permissions: null });
    await keyplane.rotateKey(root, rotated.keyId, 0);
    for (const [credential, presented] of [
      [harness.rootKey, 'kp_unknown'],
      [harness.rootKey, `kp_${'x'.repeat(40)}`],
      [harness.rootKey, rotated.key],
      [other.adminKey, secret],
    ] as const) {
      const response = await send('POST', '/v1/keys/whoami', { key: presented }, credential);
      expect(response.status).toBe(404);
      await harness.conforming('POST', '/v1/keys/whoami', response);
    }
    const blind = await keyplane.createKey(root, { name: 'blind', permissions: ['queues.read'] });
    expect((await send('POST', '/v1/keys/whoami', { key: secret }, blind.key)).status).toBe(403);
  });

  it('deletes a key for good', async () => {
    const made = await keyplane.createKey(root, { name: 'doomed', permissions: null });
    const deleted = await send('DELETE', `/v1/keys/${made.keyId}`);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(deleted.headers.get('content-type')).toBeNull();
    expect(await keyplane.verifyKey(root, made.key)).toMatchObject({ code: 'NOT_FOUND' });
    for (const path of [`/v1/keys/${made.keyId}`, `/v1/keys/${made.keyId.toUpperCase()}`]) {
      const again = await send('GET', path);
      expect(again.status).toBe(404);
      await harness.conforming('GET', '/v1/keys/{keyId}', again);
    }
    expect((await send('DELETE', `/v1/keys/${made.keyId}`)).status).toBe(404);
  });

  it('lists the keys a page at a time, of one application when asked', async () => {
    const organization = await newOrganization(harness, 'lister');
    const admin = harness.client({ bearer: organization.adminKey });
    const application = await kadosei.createApplication(admin, { name: 'billing' });
    const names: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const name = `key ${index}`;
      names.push(name);
      await keyplane.createKey(admin, { name, ...(index % 2 === 0 ? { applicationId: application.id } : {}) });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await keyplane.listKeyPage(admin, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((key) => key.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // The organization's first key, then the five, oldest first.
    expect(seen.slice(1)).toEqual(names);
    const billing = await keyplane.listKeyPage(admin, { applicationId: application.id });
    expect(billing.data.map((key) => key.name)).toEqual(['key 0', 'key 2', 'key 4']);
    expect((await send('GET', `/v1/keys?applicationId=${randomUUID()}`, undefined, organization.adminKey)).status).toBe(
      404,
    );
    const forged = await send('GET', '/v1/keys?cursor=forged', undefined, organization.adminKey);
    expect(forged.status).toBe(400);
    await harness.conforming('GET', '/v1/keys', forged);
  });

  it('keeps each organization to its own keys', async () => {
    const other = await newOrganization(harness, 'other');
    const theirs = await keyplane.createKey(harness.client({ bearer: other.adminKey }), { name: 'theirs' });
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'mine now' }],
      ['DELETE', undefined],
    ] as const) {
      expect((await send(method, `/v1/keys/${theirs.keyId}`, body)).status, method).toBe(404);
    }
    expect((await keyplane.getKey(harness.client({ bearer: other.adminKey }), theirs.keyId)).name).toBe('theirs');
  });

  it.each([
    ['POST', '/v1/keys', {}],
    ['POST', '/v1/keys', { name: '' }],
    ['POST', '/v1/keys', { name: 'x', permissions: ['Not A Permission'] }],
    ['POST', '/v1/keys', { name: 'x', expiresAt: '2000-01-01T00:00:00Z' }],
    ['POST', '/v1/keys', { name: 'x', applicationId: 'not-a-uuid' }],
    ['PATCH', '/v1/keys/not-a-uuid', { name: 'x' }],
    ['PATCH', `/v1/keys/${randomUUID()}`, { enabled: 'yes' }],
    ['GET', '/v1/keys?limit=0', undefined],
  ] as const)('answers %s %s with %j as a 400 problem', async (method, path, body) => {
    const response = await send(method, path, body);
    expect(response.status).toBe(400);
    const template = path.startsWith('/v1/keys/') ? '/v1/keys/{keyId}' : '/v1/keys';
    const { body: problem } = await harness.conforming(method, template, response);
    expect(problem).toMatchObject({ status: 400, title: 'Bad Request' });
  });
});

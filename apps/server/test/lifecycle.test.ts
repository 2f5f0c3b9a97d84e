import { randomUUID } from 'node:crypto';
import { diga, discue, kadosei, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

describe.each(SETUPS)('key lifecycle over $name', (setup) => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const works = async (secret: string) =>
    (await harness.client({ bearer: secret }).GET('/v1/api_key/')).response.status === 200;

  it('rotates a key: a new secret, the old one working through the grace period only', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const created = await diga.createKey(admin, { name: 'rotating', restricted: false });
    const oldSecret = created.value as string;
    const rotation = await keyplane.rotateKey(admin, created.id, 600);
    expect(rotation.id).toBe(created.id);
    expect(rotation.key).not.toBe(oldSecret);
    expect(Date.parse(rotation.previousKeyExpiresAt as string)).toBeGreaterThan(Date.now() + 590_000);
    expect(await works(rotation.key)).toBe(true);
    expect(await works(oldSecret)).toBe(true);
    expect((await diga.getKey(admin, created.id)).last_four_digits).toBe(rotation.key.slice(-4));

    harness.advanceClock(601_000);
    try {
      expect(await works(oldSecret)).toBe(false);
      expect(await works(rotation.key)).toBe(true);
    } finally {
      harness.advanceClock(-601_000);
    }

    const immediate = await keyplane.rotateKey(admin, created.id, 0);
    expect(immediate.previousKeyExpiresAt).toBeNull();
    expect(await works(rotation.key)).toBe(false);
    expect(await works(immediate.key)).toBe(true);

    const missing = await admin.POST('/v1/keys/{keyId}/rotate', {
      params: { path: { keyId: randomUUID() } },
      body: {},
    });
    expect(missing.response.status).toBe(404);
    const tooLong = await admin.POST('/v1/keys/{keyId}/rotate', {
      params: { path: { keyId: created.id } },
      body: { gracePeriodSeconds: 31 * 86_400 },
    });
    expect(tooLong.response.status).toBe(400);
  });

  it('verifies keys with a code for every outcome, never an error for a malformed key', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const restricted = await diga.createKey(admin, { name: 'calls', restricted: true, permissions: ['calls.view'] });
    const value = restricted.value as string;
    expect(await keyplane.verifyKey(admin, value, ['calls.view'])).toMatchObject({
      valid: true,
      code: 'VALID',
      keyId: restricted.id,
      applicationId: organization.defaultApplicationId,
      name: 'calls',
      permissions: ['calls.view'],
      expiresAt: null,
    });
    expect(await keyplane.verifyKey(admin, value, ['calls.delete'])).toMatchObject({
      valid: false,
      code: 'INSUFFICIENT_PERMISSIONS',
    });
    for (const malformed of [
      '',
      'nope',
      `${value}x`,
      value.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
      '🔑'.repeat(100),
      'x'.repeat(512),
    ]) {
      expect(await keyplane.verifyKey(admin, malformed), malformed).toEqual({ valid: false, code: 'NOT_FOUND' });
    }
    await discue.updateKey(admin, restricted.id, { status: 'disabled' });
    expect(await keyplane.verifyKey(admin, value)).toMatchObject({
      valid: false,
      code: 'DISABLED',
      keyId: restricted.id,
    });
    await diga.deleteKey(admin, restricted.id);
    expect(await keyplane.verifyKey(admin, value)).toEqual({ valid: false, code: 'NOT_FOUND' });

    const tooLong = await admin.POST('/v1/keys/verify', { body: { key: 'x'.repeat(513) } });
    expect(tooLong.response.status).toBe(400);
    const badPermission = await admin.POST('/v1/keys/verify', { body: { key: value, permissions: ['*'] } });
    expect(badPermission.response.status).toBe(400);
    const weak = await diga.createKey(admin, { name: 'weak', restricted: true, permissions: ['calls.view'] });
    const forbidden = await harness
      .client({ bearer: weak.value as string })
      .POST('/v1/keys/verify', { body: { key: value } });
    expect(forbidden.response.status).toBe(403);
  });

  it('keeps last_used_at current without a store write per request', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const { id, secret } = await discue.createKey(admin, { name: 'busy' });
    expect((await discue.getKey(admin, id)).last_used_at).toBeUndefined();
    const writesBefore = harness.usageWrites();
    const before = Date.now();
    for (let request = 0; request < 25; request += 1) {
      await harness.client({ apiKey: secret }).GET('/v1/api_keys');
    }
    expect(harness.usageWrites()).toBe(writesBefore);
    const lastUsed = (await discue.getKey(admin, id)).last_used_at as number;
    expect(lastUsed).toBeGreaterThanOrEqual(before - 5);
    await harness.flushUsage();
    expect(harness.usageWrites()).toBe(writesBefore + 1);
    expect(Date.parse((await kadosei.getKey(admin, organization.defaultApplicationId, id)).lastUsedAt as string)).toBe(
      lastUsed,
    );
  });

  it('records every change in the audit log with who, what, when and the request id', async () => {
    const organization = await newOrganization(harness);
    const admin = organization.client();
    const created = await admin.POST('/v1/api_key/', { body: { name: 'audited', restricted: false } });
    const id = created.data?.id as string;
    await diga.updateKey(admin, id, { name: 'renamed' });
    await discue.updateKey(admin, id, { status: 'disabled' });
    await discue.updateKey(admin, id, { status: 'enabled' });
    await keyplane.rotateKey(admin, id, 0);
    await diga.deleteKey(admin, id);

    const { data } = await keyplane.listAuditEvents(admin, { limit: 100 });
    const forKey = data.filter((event) => event.targetId === id);
    expect(forKey.map((event) => event.action)).toEqual([
      'api_key.deleted',
      'api_key.rotated',
      'api_key.enabled',
      'api_key.disabled',
      'api_key.updated',
      'api_key.created',
    ]);
    for (const event of forKey) expect(event.actorKeyId).toBe(organization.adminKeyId);
    expect(forKey.at(-1)?.requestId).toBe(created.response.headers.get('x-request-id'));
    expect(data.map((event) => event.action)).toContain('organization.created');

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await keyplane.listAuditEvents(admin, { limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(...page.data.map((event) => event.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(data.map((event) => event.id));
    const bad = await admin.GET('/v1/audit-events', { params: { query: { cursor: 'garbage' } } });
    expect(bad.response.status).toBe(400);
  });
});

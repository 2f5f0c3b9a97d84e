import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { aerospike, diga, discue, kadosei, keyplane } from '@keyplane/client';
import { ContractValidator, contractCheck } from '@keyplane/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

/** diga's own published document for its API-key paths, kept as it was published. */
const digaDocument = JSON.parse(
  readFileSync(new URL('../../../spec/reference/diga-api-keys.openapi.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const digaValidator = new ContractValidator(digaDocument);

/** Checks every diga response against diga's document as well as against keyplane's contract. */
const digaDocumentCheck = contractCheck(digaValidator, {
  only: (schemaPath) => schemaPath.startsWith('/v1/api_key/'),
  document: "diga's published document",
});

describe.each(SETUPS)('diga over $name', (setup) => {
  let harness: Harness;
  let organization: Awaited<ReturnType<typeof newOrganization>>;
  let admin: ReturnType<Harness['client']>;

  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const fresh = async () => {
    organization = await newOrganization(harness, `diga ${randomUUID()}`);
    admin = organization.client();
    admin.use(digaDocumentCheck);
    return admin;
  };

  it('checks against diga’s document for real: a response off its schema is caught', () => {
    const observed = (body: unknown) => ({
      method: 'GET',
      path: '/v1/api_key/{id}',
      status: 200,
      headers: new Headers({ 'Content-Type': 'application/json', 'X-Request-Id': randomUUID() }),
      body: JSON.stringify(body),
    });
    const good = {
      id: randomUUID(),
      name: 'n',
      created_date: new Date().toISOString(),
      last_four_digits: 'abcd',
      creator_id: randomUUID(),
      restricted: true,
      permissions: ['calls.view'],
    };
    expect(digaValidator.problems(observed(good))).toEqual([]);
    expect(digaValidator.problems(observed({ ...good, permissions: ['queues.read'] }))).not.toEqual([]);
    expect(digaValidator.problems(observed({ ...good, last_four_digits: undefined }))).not.toEqual([]);
  });

  it('creates a key: the value once, its last four digits, its permissions', async () => {
    await fresh();
    const created = await diga.createKey(admin, {
      name: 'voice bot',
      restricted: true,
      permissions: ['calls.view', 'api_keys.view'],
    });
    expect(created).toMatchObject({
      name: 'voice bot',
      restricted: true,
      permissions: ['api_keys.view', 'calls.view'],
    });
    const value = created.value as string;
    expect(created.last_four_digits).toBe(value.slice(-4));
    expect(created.creator_id).toBe(organization.adminKeyId);
    const read = await diga.getKey(admin, created.id);
    expect(read).toEqual({
      id: created.id,
      name: 'voice bot',
      created_date: created.created_date,
      last_four_digits: created.last_four_digits,
      creator_id: organization.adminKeyId,
      permissions: ['api_keys.view', 'calls.view'],
      restricted: true,
    });
    expect(JSON.stringify(await diga.listKeys(admin))).not.toContain(value);
  });

  it('creates an unrestricted key, and refuses one that is unrestricted with permissions', async () => {
    await fresh();
    const open = await diga.createKey(admin, { name: 'open', restricted: false });
    expect(open).toMatchObject({ restricted: false, permissions: null });
    const { error, response } = await admin.POST('/v1/api_key/', {
      body: { name: 'confused', restricted: false, permissions: ['calls.view'] },
    });
    expect(response.status).toBe(422);
    expect(error).toEqual({ detail: [{ loc: ['body', 'permissions'], msg: expect.any(String), type: 'value_error' }] });
  });

  it('answers bad bodies with FastAPI’s 422 detail list, and creates nothing', async () => {
    await fresh();
    const cases: [unknown, (string | number)[]][] = [
      [{ restricted: true }, ['body', 'name']],
      [{ name: 'x' }, ['body', 'restricted']],
      [{ name: 'x', restricted: true, permissions: ['calls.fly'] }, ['body', 'permissions', 0]],
      [{ name: 'x', restricted: true, expiry_date: 'tomorrow' }, ['body', 'expiry_date']],
      [{ name: 'x', restricted: true, expiry_date: '2001-01-01T00:00:00Z' }, ['body', 'expiry_date']],
    ];
    for (const [body, loc] of cases) {
      const response = await harness.fetch('/v1/api_key/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${organization.adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, JSON.stringify(body)).toBe(422);
      const { body: answer } = await harness.conforming('POST', '/v1/api_key/', response);
      expect((answer as { detail: { loc: unknown }[] }).detail.map((entry) => entry.loc)).toContainEqual(loc);
    }
    expect((await diga.listKeys(admin)).data).toHaveLength(1);
  });

  it('patches only what it is sent; permissions replace the list', async () => {
    await fresh();
    const { id } = await diga.createKey(admin, { name: 'a', restricted: true, permissions: ['calls.view'] });
    expect(await diga.updateKey(admin, id, { name: 'b' })).toMatchObject({ name: 'b', permissions: ['calls.view'] });
    expect(await diga.updateKey(admin, id, { permissions: ['agents.view', 'tools.view'] })).toMatchObject({
      restricted: true,
      permissions: ['agents.view', 'tools.view'],
    });
    expect(await diga.updateKey(admin, id, { restricted: false })).toMatchObject({
      restricted: false,
      permissions: null,
    });
    expect(await diga.updateKey(admin, id, { restricted: true, permissions: [] })).toMatchObject({
      restricted: true,
      permissions: [],
    });
    const missing = await admin.PATCH('/v1/api_key/{id}', {
      params: { path: { id: randomUUID() } },
      body: { name: 'x' },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ error_code: 'API_KEY_NOT_FOUND' });
  });

  it('pages with after/before cursors, order, limit and page numbers', async () => {
    await fresh();
    const ids = [organization.adminKeyId];
    for (let index = 0; index < 5; index += 1) {
      ids.push((await diga.createKey(admin, { name: `k${index}`, restricted: false })).id);
    }
    const newestFirst = [...ids].reverse();
    const first = await diga.listKeys(admin, { limit: 2 });
    expect(first.data.map((key) => key.id)).toEqual(newestFirst.slice(0, 2));
    expect(first).toMatchObject({
      has_more: true,
      first_id: newestFirst[0],
      last_id: newestFirst[1],
      total_pages: null,
    });
    const second = await diga.listKeys(admin, { limit: 2, after: first.last_id as string });
    expect(second.data.map((key) => key.id)).toEqual(newestFirst.slice(2, 4));
    const back = await diga.listKeys(admin, { limit: 2, before: second.first_id as string });
    expect(back.data.map((key) => key.id)).toEqual(newestFirst.slice(0, 2));
    // More than a page lies before this cursor: the page is the one right next to it.
    const nearest = await diga.listKeys(admin, { limit: 2, before: newestFirst[4] as string });
    expect(nearest.data.map((key) => key.id)).toEqual(newestFirst.slice(2, 4));
    expect(nearest.has_more).toBe(true);
    const nearestAscending = await diga.listKeys(admin, { order: 'asc', limit: 2, before: ids[4] as string });
    expect(nearestAscending.data.map((key) => key.id)).toEqual(ids.slice(2, 4));
    const last = await diga.listKeys(admin, { limit: 2, after: newestFirst[3] as string });
    expect(last).toMatchObject({ has_more: false, last_id: newestFirst[5] });
    const ascending = await diga.listKeys(admin, { order: 'asc', limit: 10 });
    expect(ascending.data.map((key) => key.id)).toEqual(ids);
    const page = await diga.listKeys(admin, { page: 2, limit: 4 });
    expect(page).toMatchObject({ current_page: 2, total_pages: 2, has_more: false });
    expect(page.data.map((key) => key.id)).toEqual(newestFirst.slice(4));
  });

  it('refuses both cursors, an unknown cursor and a bad limit with 422 INVALID_PAGINATION_PARAMETERS-style bodies', async () => {
    await fresh();
    const both = await admin.GET('/v1/api_key/', { params: { query: { after: randomUUID(), before: randomUUID() } } });
    expect(both.response.status).toBe(422);
    expect(both.error).toEqual({
      status: 'error',
      error_code: 'INVALID_PAGINATION_PARAMETERS',
      message: "Cannot specify both 'before' and 'after' parameters",
    });
    const unknown = await admin.GET('/v1/api_key/', { params: { query: { after: randomUUID() } } });
    expect(unknown.error).toMatchObject({ error_code: 'INVALID_PAGINATION_PARAMETERS' });
    for (const query of ['limit=0', 'limit=1001', 'order=sideways', 'page=0', 'after=nope']) {
      const response = await harness.fetch(`/v1/api_key/?${query}`, {
        headers: { Authorization: `Bearer ${organization.adminKey}` },
      });
      expect(response.status, query).toBe(422);
      expect((await harness.conforming('GET', '/v1/api_key/', response)).body).toMatchObject({
        status: 'error',
        error_code: expect.any(String),
      });
    }
  });

  it('expires a key at its expiry_date', async () => {
    await fresh();
    const expiry = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const created = await diga.createKey(admin, { name: 'temporary', restricted: false, expiry_date: expiry });
    const holder = harness.client({ bearer: created.value as string });
    expect((await holder.GET('/v1/api_key/')).response.status).toBe(200);
    harness.advanceClock(2 * 60 * 60 * 1000);
    try {
      const { error, response } = await holder.GET('/v1/api_key/');
      expect(response.status).toBe(403);
      expect(error).toMatchObject({ error_code: 'NOT_AUTHENTICATED', message: 'The API key has expired.' });
      expect((await keyplane.verifyKey(admin, created.value as string)).code).toBe('EXPIRED');
    } finally {
      harness.advanceClock(-2 * 60 * 60 * 1000);
    }
  });

  it('maps one permission model across dialects, keeping what only one dialect can say', async () => {
    await fresh();
    const created = await diga.createKey(admin, {
      name: 'cross',
      restricted: true,
      permissions: ['api_keys.view', 'api_keys.delete', 'calls.view'],
    });
    const secret = created.value as string;
    const asKey = harness.client({ apiKey: secret });
    expect((await discue.getKey(admin, created.id)).scopes).toEqual([
      { resource: 'api_keys', access: 'read', targets: ['*'] },
    ]);
    expect((await kadosei.getKey(admin, organization.defaultApplicationId, created.id)).permissions).toEqual([
      'api_keys.delete',
      'api_keys.read',
      'calls.view',
    ]);
    expect((await discue.listKeys(asKey)).length).toBeGreaterThan(0);
    const victim = await diga.createKey(admin, { name: 'victim', restricted: true });
    await aerospike.deleteKey(asKey, victim.id);
    const refused = await asKey.POST('/v1/api_key/', { body: { name: 'more', restricted: true } });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({
      error_code: 'INSUFFICIENT_PERMISSIONS',
      message: 'Missing required permissions',
    });

    expect((await keyplane.verifyKey(admin, secret, ['calls.view'])).code).toBe('VALID');
    expect((await keyplane.verifyKey(admin, secret, ['calls.delete'])).code).toBe('INSUFFICIENT_PERMISSIONS');

    // A discue update replaces what discue shows (api_keys read) and keeps what it cannot
    // show: diga's calls.view, and api_keys.delete without the rest of discue's "write".
    await discue.updateKey(admin, created.id, { scopes: [{ resource: 'queues', access: 'read' }] });
    expect((await diga.getKey(admin, created.id)).permissions).toEqual(['api_keys.delete', 'calls.view']);
    expect((await discue.getKey(admin, created.id)).scopes).toEqual([
      { resource: 'queues', access: 'read', targets: ['*'] },
    ]);
  });

  it('lets a key change another only by what it holds itself', async () => {
    await fresh();
    const editor = await diga.createKey(admin, {
      name: 'editor',
      restricted: true,
      permissions: ['api_keys.update', 'api_keys.view', 'calls.view'],
    });
    const asEditor = harness.client({ bearer: editor.value as string });
    const target = await diga.createKey(admin, { name: 'target', restricted: true, permissions: ['agents.view'] });
    await discue.updateKey(admin, target.id, { scopes: [{ resource: 'queues', access: 'read' }] });
    // Removing agents.view and adding calls.view: the editor holds calls.view, and keeps queues.read untouched.
    const patched = await asEditor.PATCH('/v1/api_key/{id}', {
      params: { path: { id: target.id } },
      body: { permissions: ['calls.view'] },
    });
    expect(patched.response.status).toBe(200);
    const widened = await asEditor.PATCH('/v1/api_key/{id}', {
      params: { path: { id: target.id } },
      body: { permissions: ['tools.view'] },
    });
    expect(widened.response.status).toBe(403);
    const unrestricted = await asEditor.PATCH('/v1/api_key/{id}', {
      params: { path: { id: target.id } },
      body: { restricted: false },
    });
    expect(unrestricted.response.status).toBe(403);
    const rotateAdmin = await asEditor.POST('/v1/keys/{keyId}/rotate', {
      params: { path: { keyId: organization.adminKeyId } },
      body: { gracePeriodSeconds: 0 },
    });
    expect(rotateAdmin.response.status).toBe(403);
    expect(await keyplane.verifyKey(admin, organization.adminKey)).toMatchObject({ code: 'VALID' });
  });

  it('never lets a key grant more than it holds', async () => {
    await fresh();
    const creator = await diga.createKey(admin, {
      name: 'creator',
      restricted: true,
      permissions: ['api_keys.create', 'calls.view'],
    });
    const asCreator = harness.client({ bearer: creator.value as string });
    expect(
      (await asCreator.POST('/v1/api_key/', { body: { name: 'ok', restricted: true, permissions: ['calls.view'] } }))
        .response.status,
    ).toBe(200);
    for (const body of [
      { name: 'wider', restricted: false },
      { name: 'other', restricted: true, permissions: ['calls.delete' as const] },
    ]) {
      const { response } = await asCreator.POST('/v1/api_key/', { body });
      expect(response.status).toBe(403);
    }
  });
});

// One suite over one harness per setup: the whole life of a key through every dialect,
// kept in one file so that its four setups share their stores (over 300 lines on purpose).
import { randomUUID } from 'node:crypto';
import { discue, kadosei, keyplane } from '@keyplane/client';
import { isWellFormedSecret } from '@keyplane/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES, deleteThrough, probe } from './support/dialects.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

describe.each(SETUPS)('API keys over $name', (setup) => {
  let harness: Harness;
  let root: ReturnType<Harness['client']>;
  let defaultApplicationId: string;

  beforeAll(async () => {
    harness = await startHarness(setup);
    root = harness.client({ apiKey: harness.rootKey });
    defaultApplicationId = (await kadosei.defaultApplication(harness.client({ bearer: harness.rootKey }))).id;
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  describe('discue lifecycle', () => {
    it('returns the secret once at creation, and never again', async () => {
      const { data, response } = await root.POST('/v1/api_keys', { body: { name: 'ci pipeline' } });
      expect(response.status).toBe(200);
      const secret = data?.api_key as string;
      const id = data?.id as string;
      expect(isWellFormedSecret(secret)).toBe(true);
      expect(data?._links.self.href).toBe(`/v1/api_keys/${id}`);

      const read = await root.GET('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } });
      expect(read.data?.api_key).toMatchObject({ id, name: 'ci pipeline', status: 'enabled', key: secret.slice(0, 7) });
      const listed = await root.GET('/v1/api_keys');
      expect(listed.data?.api_keys.map((key) => key.id)).toContain(id);
      for (const text of [JSON.stringify(read.data), JSON.stringify(listed.data)]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(7, 40));
      }
    });

    it('keeps epoch-millisecond timestamps and the default permissive scopes', async () => {
      const before = Date.now();
      const { id } = await discue.createKey(root);
      const key = await discue.getKey(root, id);
      expect(key.created_at).toBeGreaterThanOrEqual(before - 1000);
      expect(key.created_at).toBeLessThanOrEqual(Date.now() + 1000);
      expect(key.updated_at).toBe(key.created_at);
      expect(key.last_used_at).toBeUndefined();
      const resources = new Set(key.scopes.map((scope) => scope.resource));
      expect(resources).toEqual(new Set(['events', 'queues', 'listeners', 'messages', 'schemas', 'stats']));
      expect(key.scopes.every((scope) => scope.targets.join() === '*')).toBe(true);
    });

    it('stores the scopes it is given, targets included', async () => {
      const { id } = await discue.createKey(root, {
        name: 'reader',
        scopes: [
          { resource: 'queues', access: 'read', targets: ['q-1', 'q-2'] },
          { resource: 'events', access: 'write' },
        ],
      });
      const key = await discue.getKey(root, id);
      expect(key.scopes).toEqual([
        { resource: 'events', access: 'write', targets: ['*'] },
        { resource: 'queues', access: 'read', targets: ['q-1', 'q-2'] },
      ]);
    });

    it('refuses protected scopes with 422 and creates nothing', async () => {
      const count = (await discue.listKeys(root)).length;
      for (const resource of ['api_keys', 'api_clients', 'subscriptions'] as const) {
        const { error, response } = await root.POST('/v1/api_keys', {
          body: { scopes: [{ resource, access: 'read' }] },
        });
        expect(response.status).toBe(422);
        expect(error).toEqual({ title: 'Unprocessable Entity', status: 422 });
      }
      expect(await discue.listKeys(root)).toHaveLength(count);
    });

    it('updates name and scopes, replacing the whole scope array', async () => {
      const { id } = await discue.createKey(root, { name: 'old' });
      const before = await discue.getKey(root, id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await discue.updateKey(root, id, { name: 'new', scopes: [{ resource: 'stats', access: 'read' }] });
      const after = await discue.getKey(root, id);
      expect(after).toMatchObject({ name: 'new', scopes: [{ resource: 'stats', access: 'read', targets: ['*'] }] });
      expect(after.created_at).toBe(before.created_at);
      expect(after.updated_at).toBeGreaterThan(before.updated_at);
    });

    it('takes back the scopes it shows unchanged: a GET-then-PUT round trip changes nothing', async () => {
      const { id } = await discue.createKey(root, {
        scopes: [{ resource: 'queues', access: 'read', targets: ['q1'] }],
      });
      const admin = await keyplane.createOrganization(root, `round trip ${id}`);
      const adminClient = harness.client({ apiKey: admin.adminKey.key });
      for (const [client, keyId] of [
        [root, id],
        [adminClient, admin.adminKey.id],
      ] as const) {
        const before = await discue.getKey(client, keyId);
        await discue.updateKey(client, keyId, { name: before.name, scopes: before.scopes });
        expect((await discue.getKey(client, keyId)).scopes).toEqual(before.scopes);
      }
      expect(await keyplane.verifyKey(adminClient, admin.adminKey.key, ['applications.create'])).toMatchObject({
        code: 'VALID',
      });
      const adding = await root.PUT('/v1/api_keys/{api_key_id}', {
        params: { path: { api_key_id: id } },
        body: { scopes: [{ resource: 'api_keys', access: 'read' }] },
      });
      expect(adding.response.status).toBe(422);
    });

    it('disables and re-enables a key: a disabled key fails authentication everywhere', async () => {
      const { id, secret } = await discue.createKey(root);
      await discue.updateKey(root, id, { status: 'disabled' });
      expect((await discue.getKey(root, id)).status).toBe('disabled');
      for (const dialect of DIALECT_NAMES) {
        expect(await probe(harness, dialect, { bearer: secret })).toBe('rejected');
      }
      await discue.updateKey(root, id, { status: 'enabled' });
      for (const dialect of DIALECT_NAMES) {
        expect(await probe(harness, dialect, { apiKey: secret })).toBe('authenticated');
      }
    });

    it('expires a key at expires_at, and clears the expiry on null', async () => {
      const expiresAt = Date.now() + 3_600_000;
      const { id, secret } = await discue.createKey(root, { expires_at: expiresAt });
      expect((await discue.getKey(root, id)).expires_at).toBe(expiresAt);
      harness.advanceClock(7_200_000);
      try {
        expect(await probe(harness, 'discue', { apiKey: secret })).toBe('rejected');
        await discue.updateKey(root, id, { expires_at: null });
        expect((await discue.getKey(root, id)).expires_at).toBeUndefined();
        expect(await probe(harness, 'discue', { apiKey: secret })).toBe('authenticated');
      } finally {
        harness.advanceClock(-7_200_000);
      }
    });

    it('creates a key disabled when asked to', async () => {
      const { id, secret } = await discue.createKey(root, { status: 'disabled' });
      expect((await discue.getKey(root, id)).status).toBe('disabled');
      expect(await probe(harness, 'discue', { apiKey: secret })).toBe('rejected');
    });

    it('pretty-prints on pretty=true, errors included', async () => {
      const headers = { 'X-API-KEY': harness.rootKey };
      const pretty = await harness.fetch('/v1/api_keys?pretty=true', { headers });
      expect((await harness.conforming('GET', '/v1/api_keys', pretty)).text).toMatch(/^\{\n {2}"api_keys": \[/);
      const flag = await harness.fetch('/v1/api_keys?pretty', { headers });
      expect((await harness.conforming('GET', '/v1/api_keys', flag)).text).toMatch(/^\{\n {2}"api_keys": \[/);
      const wrong = await harness.fetch('/v1/api_keys?pretty=maybe', { headers });
      expect(wrong.status).toBe(400);
      const compact = await harness.fetch('/v1/api_keys?pretty=false', { headers });
      expect((await harness.conforming('GET', '/v1/api_keys', compact)).text).toMatch(/^\{"api_keys":\[/);
      const missing = await harness.fetch(`/v1/api_keys/${randomUUID()}?pretty=true`, { headers });
      expect((await harness.conforming('GET', '/v1/api_keys/{api_key_id}', missing)).text).toBe(
        '{\n  "title": "Not Found",\n  "status": 404\n}\n',
      );
    });
  });

  describe.each(DIALECT_NAMES)('delete through %s', (dialect) => {
    it('deletes a discue-made key: it fails authentication on every dialect at once, others keep working', async () => {
      const doomed = await discue.createKey(root, { name: `doomed via ${dialect}` });
      const survivor = await discue.createKey(root, { name: 'survivor' });
      for (const each of DIALECT_NAMES) {
        expect(await probe(harness, each, { apiKey: doomed.secret })).toBe('authenticated');
      }

      const deleted = await deleteThrough(
        dialect,
        harness.client({ bearer: harness.rootKey }),
        doomed.id,
        defaultApplicationId,
      );
      expect(deleted.status).toBe(dialect === 'aerospike' ? 204 : 200);
      if (dialect === 'diga' || dialect === 'kadosei') expect(deleted.body).toEqual({});

      for (const each of DIALECT_NAMES) {
        expect(await probe(harness, each, { apiKey: doomed.secret })).toBe('rejected');
        expect(await probe(harness, each, { bearer: doomed.secret })).toBe('rejected');
        expect(await probe(harness, each, { bearer: survivor.secret })).toBe('authenticated');
      }
      const remaining = (await discue.listKeys(root)).map((key) => key.id);
      expect(remaining).not.toContain(doomed.id);
      expect(remaining).toContain(survivor.id);

      const again = await deleteThrough(
        dialect,
        harness.client({ bearer: harness.rootKey }),
        doomed.id,
        defaultApplicationId,
      );
      expect(again.status).toBe(404);
    });

    it('answers 404 for a well-formed id that names no key', async () => {
      const { status } = await deleteThrough(
        dialect,
        harness.client({ bearer: harness.rootKey }),
        randomUUID(),
        defaultApplicationId,
      );
      expect(status).toBe(404);
    });

    it('refuses a key without the delete permission with 403 and deletes nothing', async () => {
      const target = await discue.createKey(root);
      const weak = await discue.createKey(root);
      const { status, body } = await deleteThrough(
        dialect,
        harness.client({ bearer: weak.secret }),
        target.id,
        defaultApplicationId,
      );
      expect(status).toBe(403);
      expect(body).toEqual(
        {
          discue: { title: 'Forbidden', status: 403 },
          aerospike: expect.objectContaining({ code: 'insufficient_scope' }),
          diga: { status: 'error', error_code: 'INSUFFICIENT_PERMISSIONS', message: 'Missing required permissions' },
          kadosei: { error: 'Forbidden', message: "You don't have permission to access this resource", code: 403 },
        }[dialect],
      );
      expect((await discue.getKey(root, target.id)).id).toBe(target.id);
    });
  });

  describe('errors in each dialect’s own body', () => {
    const bogus = 'kp_0000000000000000000000000000000000000000000000000';

    it('discue: 401 {title, status} without or with a wrong X-API-KEY', async () => {
      for (const credential of [undefined, { apiKey: bogus }, { apiKey: 'not a key' }]) {
        const { error, response } = await harness.client(credential).GET('/v1/api_keys');
        expect(response.status).toBe(401);
        expect(error).toEqual({ title: 'Unauthorized', status: 401 });
      }
    });

    it('aerospike and kadosei: 401 with their bodies and a Bearer challenge', async () => {
      const id = randomUUID();
      for (const credential of [undefined, { bearer: bogus }]) {
        const a = await harness
          .client(credential)
          .DELETE('/api-keys/{clientId}', { params: { path: { clientId: id } } });
        expect(a.response.status).toBe(401);
        expect(a.error).toMatchObject({ code: 'invalid_token', message: expect.any(String) });
        expect(a.response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const k = await harness.client(credential).GET('/api/v1/applications');
        expect(k.response.status).toBe(401);
        expect(k.error).toEqual({
          error: 'Unauthorized',
          message: 'Authentication required. Please provide a valid API token',
          code: 401,
        });
      }
    });

    it('diga: 403, never 401, for a missing or wrong credential (its published status set)', async () => {
      for (const credential of [undefined, { bearer: bogus }]) {
        const { error, response } = await harness.client(credential).DELETE('/v1/api_key/{id}', {
          params: { path: { id: randomUUID() } },
        });
        expect(response.status).toBe(403);
        expect(error).toMatchObject({ status: 'error', error_code: 'NOT_AUTHENTICATED' });
      }
    });

    it('a malformed id is each dialect’s validation error, and changes nothing', async () => {
      const headers = { Authorization: `Bearer ${harness.rootKey}`, 'X-API-KEY': harness.rootKey };
      const count = (await discue.listKeys(root)).length;

      const discueAnswer = await harness.fetch('/v1/api_keys/not-a-uuid', { method: 'DELETE', headers });
      expect(discueAnswer.status).toBe(400);
      expect((await harness.conforming('DELETE', '/v1/api_keys/{api_key_id}', discueAnswer)).body).toEqual({
        title: 'Bad Request',
        status: 400,
      });

      const digaAnswer = await harness.fetch('/v1/api_key/not-a-uuid', { method: 'DELETE', headers });
      expect(digaAnswer.status).toBe(422);
      expect((await harness.conforming('DELETE', '/v1/api_key/{id}', digaAnswer)).body).toEqual({
        detail: [{ loc: ['path', 'id'], msg: expect.any(String), type: 'uuid_parsing' }],
      });

      const kadoseiAnswer = await harness.fetch(`/api/v1/applications/${defaultApplicationId}/api-keys/nope`, {
        method: 'DELETE',
        headers,
      });
      expect(kadoseiAnswer.status).toBe(400);
      const kadoseiTemplate = '/api/v1/applications/{id}/api-keys/{keyId}';
      expect((await harness.conforming('DELETE', kadoseiTemplate, kadoseiAnswer)).body).toMatchObject({
        error: 'Bad Request',
        code: 400,
        details: [{ field: 'keyId', message: expect.any(String) }],
      });

      const aerospikeAnswer = await harness.fetch('/api-keys/not-a-uuid', { method: 'DELETE', headers });
      expect(aerospikeAnswer.status).toBe(404);
      await harness.conforming('DELETE', '/api-keys/{clientId}', aerospikeAnswer);

      expect(await discue.listKeys(root)).toHaveLength(count);
    });

    it('discue: broken JSON is 400, a schema-breaking body 422, a wrong media type 415; nothing changes', async () => {
      const { id } = await discue.createKey(root, { name: 'stable' });
      const before = await discue.getKey(root, id);
      const headers = { 'X-API-KEY': harness.rootKey, 'Content-Type': 'application/json' };
      const cases: [RequestInit, number][] = [
        [{ method: 'PUT', headers, body: '{"name": ' }, 400],
        [{ method: 'PUT', headers, body: '{"name": 42}' }, 422],
        [{ method: 'PUT', headers, body: '{"status": "paused"}' }, 422],
        [{ method: 'PUT', headers, body: JSON.stringify({ name: 'x'.repeat(256) }) }, 422],
        [{ method: 'PUT', headers, body: '{"scopes": [{"resource": "queues"}]}' }, 422],
        [{ method: 'PUT', headers, body: '{"expires_at": 1000}' }, 422],
        [{ method: 'PUT', headers: { ...headers, 'Content-Type': 'text/plain' }, body: '{}' }, 415],
      ];
      for (const [init, status] of cases) {
        const response = await harness.fetch(`/v1/api_keys/${id}`, init);
        expect(response.status, String(init.body)).toBe(status);
        const { body } = await harness.conforming('PUT', '/v1/api_keys/{api_key_id}', response);
        expect(body).toEqual({ title: expect.any(String), status });
      }
      expect(await discue.getKey(root, id)).toEqual(before);
    });

    it('puts a uuid X-Request-Id on every response, errors and unknown routes included', async () => {
      const seen = new Set<string>();
      for (const [path, init] of [
        ['/v1/api_keys', { headers: { 'X-API-KEY': harness.rootKey } }],
        ['/v1/api_keys', {}],
        ['/api-keys/x', { method: 'DELETE' }],
        ['/nowhere', {}],
        ['/healthz', {}],
      ] as const) {
        const response = await harness.fetch(path, init);
        const requestId = response.headers.get('x-request-id') ?? '';
        expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        seen.add(requestId);
      }
      expect(seen.size).toBe(5);
    });

    it('answers a wrong method with 405 and Allow, in the dialect body', async () => {
      const response = await harness.fetch(`/v1/api_keys/${randomUUID()}`, {
        method: 'POST',
        headers: { 'X-API-KEY': harness.rootKey },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, PUT, DELETE, HEAD');
      expect(await response.json()).toEqual({ title: 'Method Not Allowed', status: 405 });
    });
  });

  describe('kadosei applications', () => {
    it('lists the organization’s applications, the default one included', async () => {
      const applications = await kadosei.listApplications(harness.client({ bearer: harness.rootKey }));
      expect(applications.filter((application) => application.isDefault)).toHaveLength(1);
      expect(applications[0]).toMatchObject({ id: defaultApplicationId, name: expect.any(String) });
    });

    it('answers 404 for a key asked for under another application, and keeps the key', async () => {
      const { id } = await discue.createKey(root);
      const bearer = harness.client({ bearer: harness.rootKey });
      const wrong = await deleteThrough('kadosei', bearer, id, randomUUID());
      expect(wrong).toEqual({ status: 404, body: expect.objectContaining({ code: 404, error: 'Not Found' }) });
      expect((await discue.getKey(root, id)).id).toBe(id);
      await kadosei.revokeKey(bearer, defaultApplicationId, id);
      expect(await deleteThrough('discue', bearer, id, defaultApplicationId)).toMatchObject({ status: 404 });
    });
  });
});

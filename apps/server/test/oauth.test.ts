import { randomUUID } from 'node:crypto';
import { aerospike, diga, discue, kadosei } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, IN_PROCESS, SETUPS, startHarness, TEST_SIGNING_KEY } from './support/harness.js';

describe.each(SETUPS)('Aerospike OAuth and keys over $name', (setup) => {
  let harness: Harness;
  let root: ReturnType<Harness['client']>;

  beforeAll(async () => {
    harness = await startHarness(setup, { tokenTtlSeconds: 600 });
    root = harness.client({ bearer: harness.rootKey });
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const newAerospikeKey = async (name = 'ci') => aerospike.createKey(root, name);

  it('creates a key with 201, its secret shown once, and lists it with limit/offset', async () => {
    const created = await newAerospikeKey('first');
    expect(created).toEqual({
      clientId: expect.any(String),
      clientSecret: expect.stringMatching(/^kp_/),
      name: 'first',
    });
    await newAerospikeKey('second');
    const page = await aerospike.listKeys(root, { limit: 1, offset: 0 });
    expect(page.count).toBe(1);
    expect(page.meta).toEqual({ total: expect.any(Number), limit: 1, offset: 0 });
    const all = await aerospike.listKeys(root, { limit: 100 });
    expect(all.meta.total).toBe(all.count);
    expect(all.apiKeys).toContainEqual({ name: 'first', clientId: created.clientId });
    expect(JSON.stringify(all)).not.toContain(created.clientSecret);
    const defaults = await aerospike.listKeys(root);
    expect(defaults.meta).toMatchObject({ limit: 10, offset: 0 });
  });

  it('refuses a blank or overlong name with 400 in its error body', async () => {
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const { error, response } = await root.POST('/api-keys', { body: { name } });
      expect(response.status).toBe(400);
      expect(error).toMatchObject({ code: 'invalid_request', message: expect.any(String) });
    }
  });

  it('issues a signed token for the key’s id and secret, JSON or form-encoded', async () => {
    const { clientId, clientSecret } = await newAerospikeKey();
    const json = await aerospike.token(root, clientId, clientSecret);
    expect(json).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    expect(json.scope.split(' ').sort()).toEqual(['create:api-key', 'delete:api-key', 'read:api-key']);
    const [header, payload] = json.access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256', kid: TEST_SIGNING_KEY.kid });
    expect(payload).toMatchObject({ sub: clientId, exp: expect.any(Number) });

    const form = await harness.fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'read:api-key',
      }),
    });
    expect(form.headers.get('cache-control')).toBe('no-store');
    const { body } = await harness.conforming('POST', '/oauth/token', form);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read:api-key' });
  });

  it('lets the token act within its scopes, on Aerospike and Kadosei alike', async () => {
    const { clientId, clientSecret } = await newAerospikeKey();
    const reader = harness.client({
      bearer: (await aerospike.token(root, clientId, clientSecret, 'read:api-key')).access_token,
    });
    expect((await aerospike.listKeys(reader)).count).toBeGreaterThan(0);
    const victim = await newAerospikeKey('victim');
    const denied = await reader.DELETE('/api-keys/{clientId}', { params: { path: { clientId: victim.clientId } } });
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'insufficient_scope' });

    const full = harness.client({ bearer: (await aerospike.token(root, clientId, clientSecret)).access_token });
    // A Kadosei client on a token first finds its application.
    const application = await kadosei.defaultApplication(full);
    expect(await kadosei.getApplication(reader, application.id)).toEqual(application);
    await kadosei.revokeKey(full, application.id, victim.clientId);
    expect((await aerospike.listKeys(root, { limit: 100 })).apiKeys.map((key) => key.clientId)).not.toContain(
      victim.clientId,
    );
  });

  it('answers bad grants the OAuth way', async () => {
    const { clientId, clientSecret } = await newAerospikeKey();
    const cases: [Record<string, string>, number, string][] = [
      [
        {
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: `${clientSecret.slice(0, -1)}${clientSecret.endsWith('x') ? 'y' : 'x'}`,
        },
        401,
        'invalid_client',
      ],
      [
        { grant_type: 'client_credentials', client_id: randomUUID(), client_secret: clientSecret },
        401,
        'invalid_client',
      ],
      [{ grant_type: 'password', client_id: clientId, client_secret: clientSecret }, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials', client_id: clientId }, 400, 'invalid_request'],
      [
        { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'admin' },
        400,
        'invalid_scope',
      ],
    ];
    for (const [body, status, error] of cases) {
      const response = await harness.fetch('/oauth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await harness.conforming('POST', '/oauth/token', response)).body).toMatchObject({ error });
    }
    const broken = await harness.fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"grant',
    });
    expect((await harness.conforming('POST', '/oauth/token', broken)).body).toMatchObject({ error: 'invalid_request' });
  });

  it('ends the tokens obtained with a secret when the secret is rotated away', async () => {
    const { clientId, clientSecret } = await newAerospikeKey('rotated');
    const oldToken = (await aerospike.token(root, clientId, clientSecret)).access_token;
    const withOld = harness.client({ bearer: oldToken });
    const graceful = await root.POST('/v1/keys/{keyId}/rotate', {
      params: { path: { keyId: clientId } },
      body: { gracePeriodSeconds: 600 },
    });
    expect((await withOld.GET('/api-keys')).response.status).toBe(200);
    const immediate = await root.POST('/v1/keys/{keyId}/rotate', {
      params: { path: { keyId: clientId } },
      body: { gracePeriodSeconds: 0 },
    });
    expect(graceful.response.status).toBe(200);
    const stale = await withOld.GET('/api-keys');
    expect(stale.response.status).toBe(401);
    const fresh = (await aerospike.token(root, clientId, immediate.data?.key as string)).access_token;
    expect((await harness.client({ bearer: fresh }).GET('/api-keys')).response.status).toBe(200);
  });

  it('refuses the token of a key deleted or disabled since, though it is still signed and unexpired', async () => {
    const doomed = await newAerospikeKey('doomed');
    const token = (await aerospike.token(root, doomed.clientId, doomed.clientSecret)).access_token;
    const asToken = harness.client({ bearer: token });
    expect((await asToken.GET('/api-keys')).response.status).toBe(200);
    await diga.updateKey(root, doomed.clientId, { name: 'still here' });
    await discue.updateKey(harness.client({ apiKey: harness.rootKey }), doomed.clientId, { status: 'disabled' });
    expect((await asToken.GET('/api-keys')).response.status).toBe(401);
    await discue.updateKey(harness.client({ apiKey: harness.rootKey }), doomed.clientId, { status: 'enabled' });
    expect((await asToken.GET('/api-keys')).response.status).toBe(200);
    await aerospike.deleteKey(root, doomed.clientId);
    for (const answer of [await asToken.GET('/api-keys'), await asToken.GET('/api/v1/applications')]) {
      expect(answer.response.status).toBe(401);
    }
    const digaAnswer = await asToken.GET('/v1/api_key/{id}', { params: { path: { id: doomed.clientId } } });
    expect(digaAnswer.response.status).toBe(403);
  });
});

describe('access token expiry', () => {
  it('answers an expired token with invalid_token and "The access token expired."', async () => {
    const harness = await startHarness(IN_PROCESS, { tokenTtlSeconds: 60 });
    try {
      const root = harness.client({ bearer: harness.rootKey });
      const { clientId, clientSecret } = await aerospike.createKey(root, 'short-lived');
      const token = (await aerospike.token(root, clientId, clientSecret)).access_token;
      const client = harness.client({ bearer: token });
      expect((await client.GET('/api-keys')).response.status).toBe(200);
      harness.advanceClock(61_000);
      const { error, response } = await client.GET('/api-keys');
      expect(response.status).toBe(401);
      expect(error).toEqual({ code: 'invalid_token', message: 'The access token expired.' });
    } finally {
      await harness.close();
    }
  });
});

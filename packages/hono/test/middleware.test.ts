/** The middleware against a real keyplane server (the built one, as a child process). */
import { createServer } from 'node:net';
import { createKeyplaneClient, discue, type KeyplaneClient, kadosei } from '@keyplane/client';
import { type KeyplaneProcess, startKeyplane } from '@keyplane/test-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type KeyplaneEnv, keyplaneAuth, protect, type VerifiedKey, verifyRequest } from '../src/index.js';

let server: KeyplaneProcess;
let root: KeyplaneClient;
let applicationId: string;
/** The platform's own key: it may verify keys, nothing else. */
let verifier: string;

async function newKey(name: string, permissions: string[]) {
  const created = await kadosei.createKey(root, applicationId, { name, permissions });
  return { id: created.id, secret: created.key };
}

/** A URL on which nothing listens: a port the system gave out and that was closed again. */
async function closedUrl() {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function app(options: { baseUrl?: string; permissions?: string[] } = {}) {
  const seen: VerifiedKey[] = [];
  const hono = new Hono<KeyplaneEnv>();
  hono.use(
    '/invoices/*',
    keyplaneAuth({
      baseUrl: options.baseUrl ?? server.url,
      credential: verifier,
      permissions: options.permissions ?? [],
    }),
  );
  hono.get('/invoices/:id', (c) => {
    const key = c.get('keyplaneKey');
    expectTypeOf(key).toEqualTypeOf<VerifiedKey>();
    seen.push(key);
    return c.json({ invoice: c.req.param('id'), for: key.name });
  });
  return { hono, seen };
}

beforeAll(async () => {
  server = await startKeyplane();
  root = createKeyplaneClient({ baseUrl: server.url, credential: { apiKey: server.rootKey } });
  applicationId = (await kadosei.defaultApplication(root)).id;
  verifier = (await newKey('platform', ['api_keys.verify'])).secret;
});

afterAll(() => server?.stop());

describe('keyplaneAuth (Hono)', () => {
  it('lets a valid key through, with the verified key on the context', async () => {
    const { hono, seen } = app({ permissions: ['invoices.read'] });
    const caller = await newKey('reader', ['invoices.read']);
    for (const headers of [{ 'X-API-KEY': caller.secret }, { Authorization: `Bearer ${caller.secret}` }]) {
      const response = await hono.request('/invoices/42', { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ invoice: '42', for: 'reader' });
    }
    expect(seen[0]).toEqual({
      keyId: caller.id,
      applicationId,
      name: 'reader',
      permissions: ['invoices.read'],
      expiresAt: null,
    });
  });

  it('answers 401 with WWW-Authenticate to a request without a key, or with a wrong one', async () => {
    const { hono, seen } = app();
    const missing = await hono.request('/invoices/1');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('WWW-Authenticate')).toBe('Bearer realm="keyplane"');
    expect(missing.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 401, title: 'Unauthorized' });

    for (const wrong of ['kp_not-a-key-of-this-organization', 'x'.repeat(600)]) {
      const response = await hono.request('/invoices/1', { headers: { 'X-API-KEY': wrong } });
      expect(response.status).toBe(401);
      expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_token"');
    }
    expect(seen).toEqual([]);
  });

  it('answers 403 to a key that lacks a required permission', async () => {
    const { hono, seen } = app({ permissions: ['invoices.read'] });
    const other = await newKey('reports', ['reports.read']);
    const response = await hono.request('/invoices/1', { headers: { 'X-API-KEY': other.secret } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(seen).toEqual([]);
  });

  it('answers 401 to a disabled key, and to a key revoked between two requests', async () => {
    const { hono } = app({ permissions: ['invoices.read'] });
    const disabled = await newKey('disabled', ['invoices.read']);
    await discue.updateKey(root, disabled.id, { status: 'disabled' });
    expect((await hono.request('/invoices/1', { headers: { 'X-API-KEY': disabled.secret } })).status).toBe(401);

    const caller = await newKey('revoked', ['invoices.read']);
    const headers = { Authorization: `Bearer ${caller.secret}` };
    expect((await hono.request('/invoices/1', { headers })).status).toBe(200);
    await kadosei.revokeKey(root, applicationId, caller.id);
    expect((await hono.request('/invoices/1', { headers })).status).toBe(401);
  });

  it('answers 503, never the handler, when keyplane cannot be reached', async () => {
    const { hono, seen } = app({ baseUrl: await closedUrl() });
    const caller = await newKey('stranded', []);
    const response = await hono.request('/invoices/1', { headers: { 'X-API-KEY': caller.secret } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 503 });
    expect(seen).toEqual([]);
  });

  it('answers 503 when its own credential may not verify keys', async () => {
    const weak = (await newKey('no-verify', ['invoices.read'])).secret;
    const errors: unknown[] = [];
    const hono = new Hono<KeyplaneEnv>().use(
      keyplaneAuth({ baseUrl: server.url, credential: weak, onError: (error) => errors.push(error) }),
    );
    hono.get('/', (c) => c.text('reached'));
    expect((await hono.request('/', { headers: { 'X-API-KEY': weak } })).status).toBe(503);
    expect(String(errors[0])).toContain('answered 403');
  });

  it('refuses malformed permissions when it is built, not on every request', () => {
    expect(() => keyplaneAuth({ baseUrl: server.url, credential: verifier, permissions: ['Invoices read'] })).toThrow(
      /resource\.action/,
    );
  });
});

describe('protect and verifyRequest (any fetch handler)', () => {
  it('calls the handler with the verified key, and answers 401/403 itself', async () => {
    const handler = protect((request, key) => Response.json({ path: new URL(request.url).pathname, key: key.name }), {
      baseUrl: server.url,
      credential: { apiKey: verifier },
      permissions: ['invoices.read'],
      header: 'X-Customer-Key',
    });
    const caller = await newKey('fetch-caller', ['invoices.read']);
    const allowed = await handler(new Request('http://api.test/a', { headers: { 'X-Customer-Key': caller.secret } }));
    expect(await allowed.json()).toEqual({ path: '/a', key: 'fetch-caller' });
    // Only the configured header is read.
    const elsewhere = await handler(new Request('http://api.test/a', { headers: { 'X-API-KEY': caller.secret } }));
    expect(elsewhere.status).toBe(401);

    const other = await newKey('fetch-other', ['reports.read']);
    const verdict = await verifyRequest(new Request('http://api.test/a', { headers: { 'X-API-KEY': other.secret } }), {
      baseUrl: server.url,
      credential: verifier,
      permissions: ['invoices.read'],
    });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.response.status).toBe(403);
  });
});

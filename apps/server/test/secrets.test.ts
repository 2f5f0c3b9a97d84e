import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redact } from '../src/log.js';
import { startServerProcess } from './support/process.js';

describe('redaction', () => {
  it('takes secrets out of logged values, wherever they are', () => {
    const secret = `kp_${'A1b2C3'.repeat(8)}x`;
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(
      redact({
        path: `/v1/api_keys/${secret}`,
        error: `Bearer ${token} and Bearer rootkey`,
        nested: [{ authorization: 'anything', client_secret: 'x', clientSecret: 'y', value: 'z', name: 'kept' }],
      }),
    ).toEqual({
      path: '/v1/api_keys/[redacted]',
      error: 'Bearer [redacted] and Bearer [redacted]',
      nested: [
        {
          authorization: '[redacted]',
          client_secret: '[redacted]',
          clientSecret: '[redacted]',
          value: '[redacted]',
          name: 'kept',
        },
      ],
    });
  });
});

describe('secrets in use', () => {
  it('never appear in logs, nor in any answer but the one that hands them out', async () => {
    const rootKey = `root-${randomUUID()}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-secrets-'));
    const server = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: rootKey });
    const handedOut = new Set<string>();
    const bodies: string[] = [];
    const call = async (path: string, init: RequestInit = {}, hands = false) => {
      const response = await fetch(`${server.url}${path}`, init);
      const text = await response.text();
      if (!hands) bodies.push(text);
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const json = (credential: string, body: unknown, method = 'POST'): RequestInit => ({
      method,
      headers: { Authorization: `Bearer ${credential}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    try {
      const digaKey = (await call('/v1/api_key/', json(rootKey, { name: 'a', restricted: false }), true)).body;
      const aerospikeKey = (await call('/api-keys', json(rootKey, { name: 'b' }), true)).body;
      const organization = (await call('/v1/organizations', json(rootKey, { name: 'c' }), true)).body;
      const value = digaKey.value as string;
      const clientSecret = aerospikeKey.clientSecret as string;
      const adminKey = (organization.adminKey as { key: string }).key;
      const token = (
        await call(
          '/oauth/token',
          json('-', {
            grant_type: 'client_credentials',
            client_id: aerospikeKey.clientId,
            client_secret: clientSecret,
          }),
          true,
        )
      ).body.access_token as string;
      const rotated = (
        await call(`/v1/keys/${digaKey.id as string}/rotate`, json(rootKey, { gracePeriodSeconds: 60 }), true)
      ).body.key as string;
      for (const secret of [rootKey, value, clientSecret, adminKey, token, rotated]) handedOut.add(secret);

      // Every secret, sent every way, right and wrong, through every dialect.
      for (const secret of handedOut) {
        await call('/v1/api_keys', { headers: { 'X-API-KEY': secret } });
        await call('/v1/api_key/', { headers: { Authorization: `Bearer ${secret}` } });
        await call('/api-keys', { headers: { Authorization: `Bearer ${secret}x` } });
        await call('/api/v1/applications', { headers: { Authorization: `Basic ${secret}` } });
        await call(`/v1/api_keys/${encodeURIComponent(secret)}?pretty=${encodeURIComponent(secret)}`, {
          headers: { 'X-API-KEY': rootKey },
        });
        await call('/v1/keys/verify', json(adminKey, { key: secret }));
        await call('/v1/keys/verify', json(rootKey, { key: secret, permissions: [secret] }));
        await call('/v1/api_key/', { ...json(rootKey, {}), body: `{"name": "${secret}` });
        await call(
          '/oauth/token',
          json('-', { grant_type: 'client_credentials', client_id: secret, client_secret: secret }),
        );
        await call('/oauth/token', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `grant_type=password&client_id=${aerospikeKey.clientId as string}&client_secret=${secret}`,
        });
      }
      await call(`/v1/api_key/${digaKey.id as string}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${rootKey}` },
      });
      await call('/api-keys', { headers: { Authorization: `Bearer ${token}` } });
      await call('/v1/api_key/', { headers: { Authorization: `Bearer ${rotated}` } });
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    const logs = server.output();
    expect(logs).toContain('"message":"request"');
    expect(bodies.length).toBeGreaterThan(50);
    for (const secret of handedOut) {
      const fragment = secret.slice(4, 24);
      expect(logs.includes(fragment), `a secret in the logs: ${fragment}`).toBe(false);
      for (const body of bodies)
        expect(body.includes(fragment), `a secret in an answer: ${body.slice(0, 200)}`).toBe(false);
    }
  });
});

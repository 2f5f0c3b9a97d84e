import { aerospike, discue } from '@keyplane/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

// Over real HTTP: what a Node server adds to an answer only shows on the wire.
const HTTP_SETUPS = SETUPS.filter((setup) => setup.transport === 'http');

describe.each(HTTP_SETUPS)('answers without a body, over $name', (setup) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterAll(() => harness.close());

  const asRoot = () => ({ 'X-API-KEY': harness.rootKey, Authorization: `Bearer ${harness.rootKey}` });

  it('claims no content type: discue’s PUT and DELETE (200, Content-Length 0) and Aerospike’s DELETE (204)', async () => {
    const { id } = await discue.createKey(harness.client({ apiKey: harness.rootKey }), { name: 'empty answers' });
    const path = `/v1/api_keys/${id}`;
    const updated = await harness.fetch(path, {
      method: 'PUT',
      headers: { ...asRoot(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'renamed' }),
    });
    const deleted = await harness.fetch(path, { method: 'DELETE', headers: asRoot() });
    for (const [method, answer] of [
      ['PUT', updated],
      ['DELETE', deleted],
    ] as const) {
      expect(answer.status, method).toBe(200);
      expect(answer.headers.get('content-type'), method).toBeNull();
      expect(answer.headers.get('content-length'), method).toBe('0');
      expect(await harness.conforming(method, '/v1/api_keys/{api_key_id}', answer)).toEqual({
        text: '',
        body: undefined,
      });
    }

    const { clientId } = await aerospike.createKey(harness.client({ bearer: harness.rootKey }), 'empty answers');
    const removed = await harness.fetch(`/api-keys/${clientId}`, { method: 'DELETE', headers: asRoot() });
    expect(removed.status).toBe(204);
    expect(removed.headers.get('content-type')).toBeNull();
    // A 204 has no body by definition; it says nothing about a length either (RFC 9110, 8.6).
    expect(removed.headers.get('content-length')).toBeNull();
    expect(await harness.conforming('DELETE', '/api-keys/{clientId}', removed)).toEqual({ text: '', body: undefined });
  });
});

import { describe, expect, it } from 'vitest';
import { createKeyplaneClient, credentialHeaders, discue, KeyplaneRequestError } from '../src/index.js';

function recordingFetch(status: number, body: unknown) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    const text = body === undefined ? null : JSON.stringify(body);
    return new Response(text, {
      status,
      headers: text === null ? { 'Content-Length': '0' } : { 'Content-Type': 'application/json' },
    });
  };
  return { fetch, requests };
}

describe('the keyplane client', () => {
  it('sends the key as X-API-KEY or as a bearer token', () => {
    expect(credentialHeaders({ apiKey: 'k' })).toEqual({ 'X-API-KEY': 'k' });
    expect(credentialHeaders({ bearer: 'k' })).toEqual({ Authorization: 'Bearer k' });
  });

  it('builds paths from typed parameters and sends the credential', async () => {
    const { fetch, requests } = recordingFetch(200, undefined);
    const client = createKeyplaneClient({ baseUrl: 'http://keyplane.test', credential: { apiKey: 'secret' }, fetch });
    await discue.deleteKey(client, '5b4a7a61-3c0f-4f0e-9a53-2f1d8d3f7d11');
    expect(requests[0]?.method).toBe('DELETE');
    expect(requests[0]?.url).toBe('http://keyplane.test/v1/api_keys/5b4a7a61-3c0f-4f0e-9a53-2f1d8d3f7d11');
    expect(requests[0]?.headers.get('x-api-key')).toBe('secret');
    expect(requests[0]?.headers.get('accept')).toBe('application/json');
  });

  it('returns what the contract says a create answers', async () => {
    const { fetch } = recordingFetch(200, { id: 'i', api_key: 's', _links: { self: { href: '/v1/api_keys/i' } } });
    const client = createKeyplaneClient({ baseUrl: 'http://keyplane.test', fetch });
    const created = await discue.createKey(client, { name: 'n' });
    expect(created).toEqual({ id: 'i', secret: 's' });
  });

  it('raises the dialect’s error body with its status', async () => {
    const { fetch } = recordingFetch(404, { title: 'Not Found', status: 404 });
    const client = createKeyplaneClient({ baseUrl: 'http://keyplane.test', fetch });
    const failure = await discue.getKey(client, 'x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeyplaneRequestError);
    expect(failure).toMatchObject({ status: 404, body: { title: 'Not Found', status: 404 } });
  });
});

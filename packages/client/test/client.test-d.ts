import { describe, expectTypeOf, it } from 'vitest';
import { createKeyplaneClient, discue, type operations } from '../src/index.js';

/**
 * The client's compile-time behaviour, checked by the TypeScript compiler: calls the
 * contract does not allow do not compile, and answers are typed by the contract.
 */
const client = createKeyplaneClient({ baseUrl: 'http://keyplane.test' });
const id = '5b4a7a61-3c0f-4f0e-9a53-2f1d8d3f7d11';

type DiscueApiKey = operations['discueGetApiKey']['responses'][200]['content']['application/json'];

describe('the keyplane client, at compile time', () => {
  it('accepts the calls the contract allows (the refusals below are refusals of these)', () => {
    client.GET('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } });
    client.POST('/v1/api_keys', { body: { name: 'n', status: 'disabled' } });
  });

  it('refuses a path the contract does not have', () => {
    // @ts-expect-error keyplane has no such path
    client.GET('/v1/api_keys/{api_key_id}/secret', {});
    // @ts-expect-error the discue dialect lists keys at /v1/api_keys, without a trailing slash
    client.GET('/v1/api_keys/', {});
  });

  it('refuses a path parameter by the wrong name, and a missing one', () => {
    // @ts-expect-error the discue item path is named by api_key_id
    client.GET('/v1/api_keys/{api_key_id}', { params: { path: { id } } });
    // @ts-expect-error the path parameter is required
    client.GET('/v1/api_keys/{api_key_id}', {});
  });

  it('refuses a body field of the wrong type', () => {
    // @ts-expect-error a discue key's name is a string
    client.POST('/v1/api_keys', { body: { name: 42 } });
    // @ts-expect-error status is enabled or disabled
    client.POST('/v1/api_keys', { body: { status: 'paused' } });
  });

  it('types data from the contract', async () => {
    const { data } = await client.GET('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } });
    expectTypeOf(data).toEqualTypeOf<DiscueApiKey | undefined>();
  });

  it('types what the dialect helpers return', async () => {
    expectTypeOf(await discue.createKey(client, { name: 'n' })).toEqualTypeOf<{ id: string; secret: string }>();
    expectTypeOf(await discue.getKey(client, id)).toEqualTypeOf<DiscueApiKey['api_key']>();
  });
});

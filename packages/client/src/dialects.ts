import type { components } from '@keyplane/contract';
import { type KeyplaneClient, KeyplaneRequestError } from './client.js';

type Answer<T> = { data?: T; error?: unknown; response: Response };

function expect<T>({ data, error, response }: Answer<T>): T {
  if (!response.ok) throw new KeyplaneRequestError(response.status, error);
  return data as T;
}

type DiscueKeyRequest = components['schemas']['DiscueApiKeyRequest'];

/** The discue dialect: `/v1/api_keys`. */
export const discue = {
  /** Creates a key; the secret is in the answer only this once. */
  async createKey(client: KeyplaneClient, body: DiscueKeyRequest = {}) {
    const created = expect(await client.POST('/v1/api_keys', { body }));
    return { id: created.id, secret: created.api_key };
  },
  async listKeys(client: KeyplaneClient) {
    return expect(await client.GET('/v1/api_keys')).api_keys;
  },
  async getKey(client: KeyplaneClient, id: string) {
    return expect(await client.GET('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } })).api_key;
  },
  async updateKey(client: KeyplaneClient, id: string, body: DiscueKeyRequest) {
    expect(await client.PUT('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } }, body }));
  },
  async deleteKey(client: KeyplaneClient, id: string) {
    expect(await client.DELETE('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } }));
  },
};

/** The Aerospike Cloud dialect: `/api-keys`, the key's id as `clientId`. */
export const aerospike = {
  async deleteKey(client: KeyplaneClient, clientId: string) {
    expect(await client.DELETE('/api-keys/{clientId}', { params: { path: { clientId } } }));
  },
};

/** The diga dialect: `/v1/api_key/`. */
export const diga = {
  async deleteKey(client: KeyplaneClient, id: string) {
    expect(await client.DELETE('/v1/api_key/{id}', { params: { path: { id } } }));
  },
};

/** The Kadosei dialect: keys under applications, `/api/v1/applications`. */
export const kadosei = {
  async listApplications(client: KeyplaneClient) {
    return expect(await client.GET('/api/v1/applications')).data;
  },
  async defaultApplication(client: KeyplaneClient) {
    const applications = await kadosei.listApplications(client);
    const found = applications.find((application) => application.isDefault);
    if (!found) throw new Error('The organization has no default application.');
    return found;
  },
  async revokeKey(client: KeyplaneClient, applicationId: string, keyId: string) {
    expect(
      await client.DELETE('/api/v1/applications/{id}/api-keys/{keyId}', {
        params: { path: { id: applicationId, keyId } },
      }),
    );
  },
};

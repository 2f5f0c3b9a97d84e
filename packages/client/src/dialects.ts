// Only a type, checked here and erased from the build: the published client needs no contract package.
import type { DialectName as ContractDialectName } from '@keyplane/contract';
import { type KeyplaneClient, KeyplaneRequestError } from './client.js';
import type { components } from './generated/openapi.js';

type Answer<T> = { data?: T; error?: unknown; response: Response };

function expect<T>({ data, error, response }: Answer<T>): T {
  if (!response.ok) throw new KeyplaneRequestError(response.status, error);
  return data as T;
}

type Schemas = components['schemas'];

/** Every item of a list answered a page at a time, following `nextCursor` to the end. */
async function everyPage<T>(
  page: (cursor?: string) => Promise<{ data: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    items.push(...answer.data);
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

type PageQuery = { limit?: number; cursor?: string };

/** The discue dialect: `/v1/api_keys`. */
export const discue = {
  /** Creates a key; the secret is in the answer only this once. */
  async createKey(client: KeyplaneClient, body: Schemas['DiscueApiKeyRequest'] = {}) {
    const created = expect(await client.POST('/v1/api_keys', { body }));
    return { id: created.id, secret: created.api_key };
  },
  /** Every key of the organization, in one answer. */
  async listKeys(client: KeyplaneClient) {
    return expect(await client.GET('/v1/api_keys')).api_keys;
  },
  /** One page of keys (keyplane's extension of discue); `_links.next` leads to the next. */
  async listKeyPage(client: KeyplaneClient, query: { limit: number; cursor?: string }) {
    return expect(await client.GET('/v1/api_keys', { params: { query } }));
  },
  async getKey(client: KeyplaneClient, id: string) {
    return expect(await client.GET('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } })).api_key;
  },
  async updateKey(client: KeyplaneClient, id: string, body: Schemas['DiscueApiKeyRequest']) {
    expect(await client.PUT('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } }, body }));
  },
  async deleteKey(client: KeyplaneClient, id: string) {
    expect(await client.DELETE('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } }));
  },
};

/** The Aerospike Cloud dialect: `/api-keys`, the key's id as `clientId`, OAuth access tokens. */
export const aerospike = {
  /** The client-credentials grant: a key's id and secret for an access token. */
  async token(client: KeyplaneClient, clientId: string, clientSecret: string, scope?: string) {
    return expect(
      await client.POST('/oauth/token', {
        body: {
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          ...(scope ? { scope } : {}),
        },
      }),
    );
  },
  async createKey(client: KeyplaneClient, name: string) {
    return expect(await client.POST('/api-keys', { body: { name } }));
  },
  async listKeys(client: KeyplaneClient, query: { limit?: number; offset?: number } = {}) {
    return expect(await client.GET('/api-keys', { params: { query } }));
  },
  async deleteKey(client: KeyplaneClient, clientId: string) {
    expect(await client.DELETE('/api-keys/{clientId}', { params: { path: { clientId } } }));
  },
};

/** The diga dialect: `/v1/api_key/`. */
export const diga = {
  /** Creates a key; its secret is `value`, in this answer only. */
  async createKey(client: KeyplaneClient, body: Schemas['DigaApiKeyRequestSchema']) {
    return expect(await client.POST('/v1/api_key/', { body }));
  },
  async listKeys(
    client: KeyplaneClient,
    query: { after?: string; before?: string; page?: number; limit?: number; order?: 'asc' | 'desc' } = {},
  ) {
    return expect(await client.GET('/v1/api_key/', { params: { query } }));
  },
  async getKey(client: KeyplaneClient, id: string) {
    return expect(await client.GET('/v1/api_key/{id}', { params: { path: { id } } }));
  },
  async updateKey(client: KeyplaneClient, id: string, body: Schemas['DigaApiKeyUpdateRequest']) {
    return expect(await client.PATCH('/v1/api_key/{id}', { params: { path: { id } }, body }));
  },
  async deleteKey(client: KeyplaneClient, id: string) {
    expect(await client.DELETE('/v1/api_key/{id}', { params: { path: { id } } }));
  },
};

/** The Kadosei dialect: keys under applications, `/api/v1/applications`. */
export const kadosei = {
  /** Every application of the organization, page after page. */
  async listApplications(client: KeyplaneClient) {
    return everyPage((cursor) => kadosei.listApplicationPage(client, cursor ? { cursor } : {}));
  },
  async listApplicationPage(client: KeyplaneClient, query: PageQuery = {}) {
    return expect(await client.GET('/api/v1/applications', { params: { query } }));
  },
  async defaultApplication(client: KeyplaneClient) {
    const applications = await kadosei.listApplications(client);
    const found = applications.find((application) => application.isDefault);
    if (!found) throw new Error('The organization has no default application.');
    return found;
  },
  async createApplication(client: KeyplaneClient, body: Schemas['KadoseiApplicationRequest']) {
    return expect(await client.POST('/api/v1/applications', { body }));
  },
  async getApplication(client: KeyplaneClient, id: string) {
    return expect(await client.GET('/api/v1/applications/{id}', { params: { path: { id } } }));
  },
  /** Creates a key under an application; its secret is `key`, in this answer only. */
  async createKey(client: KeyplaneClient, applicationId: string, body: Schemas['KadoseiApiKeyRequest']) {
    return expect(
      await client.POST('/api/v1/applications/{id}/api-keys', { params: { path: { id: applicationId } }, body }),
    );
  },
  /** Every key of an application, page after page. */
  async listKeys(client: KeyplaneClient, applicationId: string) {
    return everyPage((cursor) => kadosei.listKeyPage(client, applicationId, cursor ? { cursor } : {}));
  },
  async listKeyPage(client: KeyplaneClient, applicationId: string, query: PageQuery = {}) {
    return expect(
      await client.GET('/api/v1/applications/{id}/api-keys', { params: { path: { id: applicationId }, query } }),
    );
  },
  async getKey(client: KeyplaneClient, applicationId: string, keyId: string) {
    return expect(
      await client.GET('/api/v1/applications/{id}/api-keys/{keyId}', {
        params: { path: { id: applicationId, keyId } },
      }),
    );
  },
  async revokeKey(client: KeyplaneClient, applicationId: string, keyId: string) {
    expect(
      await client.DELETE('/api/v1/applications/{id}/api-keys/{keyId}', {
        params: { path: { id: applicationId, keyId } },
      }),
    );
  },
};

/** keyplane's own operations. */
export const keyplane = {
  /** Creates a key; its secret is `key`, in this answer only. */
  async createKey(client: KeyplaneClient, body: Schemas['KeyplaneKeyRequest']) {
    return expect(await client.POST('/v1/keys', { body }));
  },
  async getKey(client: KeyplaneClient, keyId: string) {
    return expect(await client.GET('/v1/keys/{keyId}', { params: { path: { keyId } } }));
  },
  /** Which key a secret is, read as `getKey` reads it; no use of the key. */
  async identifyKey(client: KeyplaneClient, key: string) {
    return expect(await client.POST('/v1/keys/whoami', { body: { key } }));
  },
  async updateKey(client: KeyplaneClient, keyId: string, body: Schemas['KeyplaneKeyUpdate']) {
    return expect(await client.PATCH('/v1/keys/{keyId}', { params: { path: { keyId } }, body }));
  },
  async deleteKey(client: KeyplaneClient, keyId: string) {
    expect(await client.DELETE('/v1/keys/{keyId}', { params: { path: { keyId } } }));
  },
  /** One page of keys, oldest first; `nextCursor` leads to the next. */
  async listKeyPage(client: KeyplaneClient, query: { applicationId?: string; limit?: number; cursor?: string } = {}) {
    return expect(await client.GET('/v1/keys', { params: { query } }));
  },
  /** Root only: a new organization and its first key, whose secret is shown once. */
  async createOrganization(client: KeyplaneClient, name: string) {
    return expect(await client.POST('/v1/organizations', { body: { name } }));
  },
  /**
   * `permissions`: a list, every one required; or a query (`a.read AND (b.write OR c.all)`).
   * `cost`: the credits it spends of a key with credits (1 when omitted).
   */
  async verifyKey(client: KeyplaneClient, key: string, permissions?: string[] | string, cost?: number) {
    return expect(
      await client.POST('/v1/keys/verify', {
        body: { key, ...(permissions ? { permissions } : {}), ...(cost === undefined ? {} : { credits: { cost } }) },
      }),
    );
  },
  /** Sets, adds to or takes from a key's credits; answers them as they now are. */
  async changeKeyCredits(
    client: KeyplaneClient,
    keyId: string,
    operation: 'set' | 'increment' | 'decrement',
    value: number,
  ) {
    return expect(
      await client.POST('/v1/keys/{keyId}/credits', { params: { path: { keyId } }, body: { operation, value } }),
    );
  },
  async rotateKey(client: KeyplaneClient, keyId: string, gracePeriodSeconds = 0) {
    return expect(
      await client.POST('/v1/keys/{keyId}/rotate', { params: { path: { keyId } }, body: { gracePeriodSeconds } }),
    );
  },
  async listAuditEvents(client: KeyplaneClient, query: { limit?: number; cursor?: string } = {}) {
    return expect(await client.GET('/v1/audit-events', { params: { query } }));
  },
};

/** Every dialect's helpers, by the contract's names of them. */
export const dialects = { keyplane, discue, aerospike, diga, kadosei } satisfies Record<ContractDialectName, object>;

/** The dialects keyplane speaks, by name. */
export type DialectName = keyof typeof dialects;

import { randomUUID } from 'node:crypto';
import type { Credential, KeyplaneClient } from '@keyplane/client';
import type { Harness } from './harness.js';

export const DIALECT_NAMES = ['discue', 'aerospike', 'diga', 'kadosei'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

/** Each dialect's delete of a key by its uuid, as its clients send it. */
export async function deleteThrough(
  dialect: DialectName,
  client: KeyplaneClient,
  id: string,
  applicationId: string,
): Promise<{ status: number; body: unknown }> {
  const answer =
    dialect === 'discue'
      ? await client.DELETE('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: id } } })
      : dialect === 'aerospike'
        ? await client.DELETE('/api-keys/{clientId}', { params: { path: { clientId: id } } })
        : dialect === 'diga'
          ? await client.DELETE('/v1/api_key/{id}', { params: { path: { id } } })
          : await client.DELETE('/api/v1/applications/{id}/api-keys/{keyId}', {
              params: { path: { id: applicationId, keyId: id } },
            });
  return { status: answer.response.status, body: answer.data ?? answer.error };
}

export type Verdict = 'authenticated' | 'rejected';

/**
 * Whether `credential` gets past authentication on `dialect`. The probe deletes a key
 * that does not exist: an authenticated caller without the permission gets 403 and one
 * with it 404; a rejected credential gets the dialect's authentication error.
 */
export async function probe(harness: Harness, dialect: DialectName, credential: Credential): Promise<Verdict> {
  const { status, body } = await deleteThrough(dialect, harness.client(credential), randomUUID(), randomUUID());
  if (dialect === 'diga' && status === 403) {
    return (body as { error_code: string }).error_code === 'NOT_AUTHENTICATED' ? 'rejected' : 'authenticated';
  }
  if (status === 401) return 'rejected';
  if (status === 403 || status === 404) return 'authenticated';
  throw new Error(`unexpected probe answer ${status} on ${dialect}: ${JSON.stringify(body)}`);
}

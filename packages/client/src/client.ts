import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

export type { components, operations, paths } from './generated/openapi.js';

export type KeyplaneClient = Client<paths>;

/** A key sent the discue way (`X-API-KEY`) or the bearer way (`Authorization: Bearer`). */
export type Credential = { readonly apiKey: string } | { readonly bearer: string };

export function credentialHeaders(credential: Credential): Record<string, string> {
  return 'apiKey' in credential ? { 'X-API-KEY': credential.apiKey } : { Authorization: `Bearer ${credential.bearer}` };
}

export interface KeyplaneClientOptions extends Omit<ClientOptions, 'headers'> {
  readonly baseUrl: string;
  readonly credential?: Credential;
  readonly headers?: Record<string, string>;
}

/** A fetch client typed by keyplane's contract: every path, parameter and body is checked. */
export function createKeyplaneClient({ credential, headers, ...options }: KeyplaneClientOptions): KeyplaneClient {
  return createClient<paths>({
    ...options,
    headers: { Accept: 'application/json', ...(credential ? credentialHeaders(credential) : {}), ...headers },
  });
}

/** A request keyplane answered with an error; `body` is the dialect's error body. */
export class KeyplaneRequestError extends Error {
  override readonly name = 'KeyplaneRequestError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`keyplane answered ${status}: ${JSON.stringify(body)}`);
  }
}

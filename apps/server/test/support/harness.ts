import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type Credential, createKeyplaneClient, type KeyplaneClient } from '@keyplane/client';
import type { CredentialCheck } from '@keyplane/core';
import { ContractValidator, contractCheck, openTestStore, STORE_KINDS, type StoreKind } from '@keyplane/testing';
import { composeKeyplane } from '../../src/compose.js';
import { readConfig } from '../../src/config.js';
import { listen } from '../../src/http/listen.js';
import type { RateLimitSettings, RateLimits } from '../../src/http/rate-limits.js';
import { Metrics } from '../../src/metrics.js';

type Transport = 'in-process' | 'http';

/** How a test reaches keyplane, and on which store. */
export interface Setup {
  readonly transport: Transport;
  readonly store: StoreKind;
  readonly name: string;
}

/** Every transport on every store the run has (PostgreSQL when DATABASE_URL is set). */
export const SETUPS: readonly Setup[] = STORE_KINDS.flatMap((store) =>
  (['in-process', 'http'] as const).map((transport) => ({ transport, store, name: `${transport}, ${store} store` })),
);

export const IN_PROCESS: Setup = { transport: 'in-process', store: 'embedded', name: 'in-process, embedded store' };

export interface Harness {
  readonly transport: Transport;
  readonly baseUrl: string;
  readonly rootKey: string;
  readonly validator: ContractValidator;
  /** A contract-checked client; without a credential it sends none. */
  client(credential?: Credential): KeyplaneClient;
  /** A raw request, for what the typed client will not send (broken JSON, bad ids). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Reads a raw response once, fails on any way it breaks the contract of
   * `method template`, and returns its text and parsed body.
   */
  conforming(method: string, template: string, response: Response): Promise<{ text: string; body: unknown }>;
  /** Moves the domain's clock (and its tokens') forward. */
  advanceClock(milliseconds: number): void;
  /** The domain's clock now. */
  now(): Date;
  /** How many times the store was asked to write last-use times. */
  usageWrites(): number;
  /** How many credentials (keys, tokens, client secrets) memory could not prove good, and were looked up. */
  credentialLookups(): number;
  /** Writes pending last-use times now. */
  flushUsage(): Promise<void>;
  /** The limits the app counts with (none are counted unless the test gave settings). */
  readonly rateLimits: RateLimits;
  /** Errors that reached the top of the app; a passing test leaves none. */
  readonly unexpectedErrors: unknown[];
  close(): Promise<void>;
}

const validator = new ContractValidator();

/** A keyplane on a fresh in-memory store, reached in-process or over real HTTP. */
export interface HarnessOptions {
  readonly rateLimits?: RateLimitSettings;
  readonly tokenTtlSeconds?: number;
  readonly signingKeys?: readonly { kid: string; secret: string }[];
  readonly maxKeysPerOrganization?: number;
  /** Take the client's address from X-Forwarded-For, so that a test can be a client of its own. */
  readonly trustProxy?: boolean;
}

export const TEST_SIGNING_KEY = { kid: 'test-1', secret: 'a-test-signing-secret-of-thirty-two-or-more' };

export async function startHarness(setup: Setup, options: HarnessOptions = {}): Promise<Harness> {
  const { transport } = setup;
  const store = await openTestStore(setup.store);
  let usageWrites = 0;
  const recordKeyUsage = store.recordKeyUsage.bind(store);
  store.recordKeyUsage = (usage) => {
    usageWrites += 1;
    return recordKeyUsage(usage);
  };
  let clockOffset = 0;
  const now = () => new Date(Date.now() + clockOffset);
  const unexpectedErrors: unknown[] = [];
  const rootKey = `root-${randomBytes(24).toString('base64url')}`;
  // Production's settings but those a test chooses: its secrets, and no limits unless it asks for them.
  const { keyplane, rateLimits, app, close } = await composeKeyplane({
    store,
    config: {
      ...readConfig({}),
      rootKey,
      hashSecret: 'a-test-digest-secret-of-enough-length',
      tokenSigningKeys: options.signingKeys ?? [TEST_SIGNING_KEY],
      tokenTtlSeconds: options.tokenTtlSeconds ?? 300,
      trustProxy: options.trustProxy ?? false,
      ...(options.maxKeysPerOrganization ? { maxKeysPerOrganization: options.maxKeysPerOrganization } : {}),
    },
    rateLimits: options.rateLimits ?? { perKeyPerMinute: 0, failedAuthPerMinute: 0, lockoutSeconds: 0 },
    metrics: new Metrics(),
    now,
    usageFlushIntervalMs: 60_000,
    app: { onUnexpectedError: (error) => unexpectedErrors.push(error) },
  });
  let credentialLookups = 0;
  const counted = <T>(check: CredentialCheck<T>): CredentialCheck<T> => ({
    proveFromMemory: () => check.proveFromMemory(),
    lookUp: () => {
      credentialLookups += 1;
      return check.lookUp();
    },
  });
  const authentication = keyplane.authentication.bind(keyplane);
  keyplane.authentication = (...args) => counted(authentication(...args));
  const tokenGrant = keyplane.tokenGrant.bind(keyplane);
  keyplane.tokenGrant = (...args) => counted(tokenGrant(...args));
  let baseUrl = 'http://keyplane.test';
  let send: (request: Request) => Promise<Response> = async (request) => app.request(request);
  let stopServer = async () => {};
  if (transport === 'http') {
    const server = await listen(app.fetch, 0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    send = (request) => fetch(request);
    stopServer = () => new Promise((resolve) => server.close(() => resolve()));
  }

  return {
    transport,
    baseUrl,
    rootKey,
    validator,
    rateLimits,
    unexpectedErrors,
    now,
    advanceClock(milliseconds) {
      clockOffset += milliseconds;
    },
    usageWrites: () => usageWrites,
    credentialLookups: () => credentialLookups,
    flushUsage: () => keyplane.flushUsage(),
    client(credential) {
      const client = createKeyplaneClient({ baseUrl, fetch: send, ...(credential ? { credential } : {}) });
      client.use(contractCheck(validator));
      return client;
    },
    async conforming(method, template, response) {
      const text = await response.text();
      const problems = validator.problems({
        method,
        path: template,
        status: response.status,
        headers: response.headers,
        body: text,
      });
      if (problems.length > 0) throw new Error(`contract violation:\n  ${problems.join('\n  ')}`);
      return { text, body: text ? JSON.parse(text) : undefined };
    },
    fetch: (path, init) => send(new Request(new URL(path, baseUrl), init)),
    async close() {
      await stopServer();
      await close();
      await store.close();
    },
  };
}

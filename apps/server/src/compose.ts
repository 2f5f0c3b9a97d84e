import { randomBytes } from 'node:crypto';
import {
  Keyplane,
  type KeyplaneStore,
  type KeyUsageStore,
  type SigningKey,
  secretDigest,
  TokenAuthority,
} from '@keyplane/core';
import { type AppOptions, createApp } from './app.js';
import { type Config, ConfigError } from './config.js';
import { ListLimits } from './http/list-limits.js';
import { type RateLimitSettings, RateLimits } from './http/rate-limits.js';
import type { Metrics } from './metrics.js';

/** What keyplane is made of around an open store: the domain, the limits in front of it, and the HTTP app. */
export interface Composition {
  readonly keyplane: Keyplane;
  readonly rateLimits: RateLimits;
  readonly app: ReturnType<typeof createApp>;
  /** The root key generated on a fresh store; null when configured or generated earlier. */
  readonly generatedRootKey: string | null;
  /** Writes what the domain holds in memory and stops the limits; the store stays open. */
  close(): Promise<void>;
}

export interface CompositionOptions {
  readonly store: KeyplaneStore;
  readonly config: Pick<
    Config,
    | 'rootKey'
    | 'tokenSigningKeys'
    | 'tokenTtlSeconds'
    | 'hashSecret'
    | 'listLimits'
    | 'trustProxy'
    | 'maxKeysPerOrganization'
    | 'metricsPort'
  >;
  readonly rateLimits: RateLimitSettings;
  readonly metrics: Metrics;
  /** The clock of the domain and of its tokens; the system's when absent. */
  readonly now?: () => Date;
  /** How often last-use times are written (5 s when absent). */
  readonly usageFlushIntervalMs?: number;
  readonly app?: Pick<AppOptions, 'isDraining' | 'onRequest' | 'onUnexpectedError' | 'readinessChecks'>;
}

/**
 * A secret generated on first start and kept in the store, so that every instance on the
 * same store uses the same one. Configuring it instead keeps it out of the database.
 */
const storedSecret = (store: KeyplaneStore, name: string) =>
  store.putSettingIfAbsent(name, randomBytes(32).toString('base64url'));

async function signingKeys(config: CompositionOptions['config'], store: KeyplaneStore): Promise<readonly SigningKey[]> {
  if (config.tokenSigningKeys) return config.tokenSigningKeys;
  return [{ kid: 'generated', secret: await storedSecret(store, 'token_signing_key') }];
}

/**
 * keyplane wired around an open store, one way for the server and for the tests that drive
 * it in-process: the same domain, limits and middleware chain, with only the settings apart.
 */
export async function composeKeyplane(options: CompositionOptions): Promise<Composition> {
  const { store, config, metrics } = options;
  const now = options.now ?? (() => new Date());
  const tokens = new TokenAuthority(await signingKeys(config, store), { ttlSeconds: config.tokenTtlSeconds, now });
  const serverSecret = config.hashSecret ?? (await storedSecret(store, 'secret_digest_key'));
  const digest = secretDigest(serverSecret);
  // A digest key other than the one the stored secrets were digested with would silently
  // invalidate every key: refuse to start instead.
  const check = digest('keyplane digest check');
  if ((await store.putSettingIfAbsent('secret_digest_check', check)) !== check) {
    throw new ConfigError(
      'KEYPLANE_HASH_SECRET: differs from the secret this store digested its keys with; every key would stop working',
    );
  }
  // Operators see how many rows each batched write of last-use times carries.
  const usageStore: KeyUsageStore = {
    recordKeyUsage: (usage) => {
      metrics.writeBatchSize.observe(usage.length);
      return store.recordKeyUsage(usage);
    },
  };
  const keyplane = new Keyplane(store, {
    tokens,
    digest,
    now,
    usageStore,
    cursorSecret: serverSecret,
    maxKeysPerOrganization: config.maxKeysPerOrganization,
    ...(options.usageFlushIntervalMs === undefined ? {} : { usageFlushIntervalMs: options.usageFlushIntervalMs }),
  });
  const { generatedSecret } = await keyplane.initializeRoot(config.rootKey);
  const rateLimits = new RateLimits(options.rateLimits);
  const app = createApp({
    ...options.app,
    keyplane,
    rateLimits,
    listLimits: new ListLimits(config.listLimits),
    trustProxy: config.trustProxy,
    metrics,
    metricsHere: config.metricsPort === undefined,
  });
  return {
    keyplane,
    rateLimits,
    app,
    generatedRootKey: generatedSecret,
    async close() {
      await keyplane.close();
      rateLimits.close();
    },
  };
}

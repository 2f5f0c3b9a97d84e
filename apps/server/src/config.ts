import { resolve } from 'node:path';
import { isWellFormedSecret } from '@keyplane/core';
import { z } from 'zod';

const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Printable header-safe characters a chosen root key needs at the least, as the server's other secrets do. */
const ROOT_KEY_LENGTH = 32;
/** Fewer distinct characters than this is a pattern (`aaaa…`, `abab…`), not a random key. */
const ROOT_KEY_DISTINCT_CHARACTERS = 10;

/**
 * The root key can do anything, in every organization, and is never rate limited: it must
 * be as hard to guess as the secrets keyplane generates itself.
 */
function isStrongRootKey(candidate: string): boolean {
  if (isWellFormedSecret(candidate)) return true;
  return candidate.length >= ROOT_KEY_LENGTH && new Set(candidate).size >= ROOT_KEY_DISTINCT_CHARACTERS;
}

const SigningKeys = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[\w.-]{1,64}:.{32,}$/, 'each entry is kid:secret, with a secret of at least 32 characters')
          .transform((entry) => {
            const separator = entry.indexOf(':');
            return { kid: entry.slice(0, separator), secret: entry.slice(separator + 1) };
          }),
      )
      .min(1, 'name at least one kid:secret'),
  );

const Environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  KEYPLANE_DATA_DIR: z.string().min(1).default('data'),
  KEYPLANE_ROOT_KEY: z
    .string()
    .regex(HEADER_SAFE, { message: 'must be printable ASCII without spaces, to travel in an HTTP header', abort: true })
    .refine(
      isStrongRootKey,
      `too weak for a credential that holds every permission: use a keyplane key or at least ${ROOT_KEY_LENGTH} ` +
        'characters of random text, such as `openssl rand -base64 32` prints',
    )
    .optional(),
  KEYPLANE_TOKEN_SIGNING_KEYS: SigningKeys.optional(),
  KEYPLANE_HASH_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  KEYPLANE_CACHE_LEASE_SECONDS: z.coerce.number().min(0.5).max(60).default(5),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  KEYPLANE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  KEYPLANE_AUTH_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  KEYPLANE_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  KEYPLANE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  KEYPLANE_MAX_KEYS_PER_ORGANIZATION: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
});

export interface Config {
  readonly port: number;
  readonly host: string | undefined;
  /** Absolute folder of the embedded store. */
  readonly dataDir: string;
  /** A PostgreSQL server to use instead of the embedded store. */
  readonly database:
    | {
        readonly url: string;
        readonly poolSize: number;
        /** How long an instance's promise to drop revoked keys holds; writers wait at most this for a silent one. */
        readonly cacheLeaseMs: number;
      }
    | undefined;
  readonly rootKey: string | undefined;
  /** Access-token signing keys, the first signing; when absent, one is generated and kept in the store. */
  readonly tokenSigningKeys: readonly { kid: string; secret: string }[] | undefined;
  readonly tokenTtlSeconds: number;
  /** Keys the digests of stored secrets; when absent, one is generated and kept in the store. */
  readonly hashSecret: string | undefined;
  readonly rateLimits: {
    readonly perKeyPerMinute: number;
    readonly failedAuthPerMinute: number;
    readonly lockoutSeconds: number;
    /** Counters shared by every instance, in Redis. */
    readonly redisUrl: string | undefined;
  };
  readonly trustProxy: boolean;
  /** Most keys one organization may hold. */
  readonly maxKeysPerOrganization: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and checks the environment once, at start-up; a wrong setting names its variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = Environment.safeParse(blankAsUnset);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const data = parsed.data;
  return {
    port: data.PORT,
    host: data.HOST,
    dataDir: resolve(data.KEYPLANE_DATA_DIR),
    database: data.DATABASE_URL
      ? {
          url: data.DATABASE_URL,
          poolSize: data.DATABASE_POOL_SIZE,
          cacheLeaseMs: Math.round(data.KEYPLANE_CACHE_LEASE_SECONDS * 1000),
        }
      : undefined,
    rootKey: data.KEYPLANE_ROOT_KEY,
    tokenSigningKeys: data.KEYPLANE_TOKEN_SIGNING_KEYS,
    tokenTtlSeconds: data.KEYPLANE_TOKEN_TTL_SECONDS,
    hashSecret: data.KEYPLANE_HASH_SECRET,
    rateLimits: {
      perKeyPerMinute: data.KEYPLANE_RATE_LIMIT_PER_MINUTE,
      failedAuthPerMinute: data.KEYPLANE_AUTH_FAILURES_PER_MINUTE,
      lockoutSeconds: data.KEYPLANE_AUTH_LOCKOUT_SECONDS,
      redisUrl: data.REDIS_URL,
    },
    trustProxy: data.KEYPLANE_TRUST_PROXY === 'true',
    maxKeysPerOrganization: data.KEYPLANE_MAX_KEYS_PER_ORGANIZATION,
  };
}

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

/** How one variable is documented: what it means, its default when unset, the values it takes. */
interface Documentation {
  readonly meaning: string;
  /** Said when the schema's own default cannot say it (an optional setting, a derived value). */
  readonly default?: string;
  /** Said when the schema's own bounds cannot say it (a pattern, a length, a format). */
  readonly bounds?: string;
}

interface Setting<S extends z.ZodType = z.ZodType> extends Documentation {
  readonly schema: S;
}

const setting = <S extends z.ZodType>(schema: S, documentation: Documentation): Setting<S> => ({
  schema,
  ...documentation,
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every variable the server reads, declared once: its schema (type, bounds, default) and its
 * meaning. The README's configuration table, `.env.example` and `--help` are made from it.
 */
export const SETTINGS = {
  PORT: setting(z.coerce.number().int().min(0).max(65535).default(3000), {
    meaning: 'port to listen on (`0` picks a free one)',
  }),
  HOST: setting(z.string().min(1).optional(), {
    default: 'all interfaces',
    bounds: 'an IP address or host name',
    meaning: 'address to listen on',
  }),
  KEYPLANE_DATA_DIR: setting(z.string().min(1).default('data'), {
    default: '`./data` (from `pnpm start`: `apps/server/data`)',
    bounds: 'a folder path',
    meaning: 'folder of the embedded store',
  }),
  KEYPLANE_ROOT_KEY: setting(
    z
      .string()
      .regex(HEADER_SAFE, {
        message: 'must be printable ASCII without spaces, to travel in an HTTP header',
        abort: true,
      })
      .refine(
        isStrongRootKey,
        `too weak for a credential that holds every permission: use a keyplane key or at least ${ROOT_KEY_LENGTH} ` +
          'characters of random text, such as `openssl rand -base64 32` prints',
      )
      .optional(),
    {
      default: 'generated on a fresh store',
      bounds: `a keyplane key or ${ROOT_KEY_LENGTH}+ characters of random text: \`openssl rand -base64 32\``,
      meaning:
        'root credential of the default organization: every permission, accepted as `X-API-KEY` and as ' +
        '`Authorization: Bearer`; the only credential that may create organizations. Anything weaker stops the start-up',
    },
  ),
  KEYPLANE_TOKEN_SIGNING_KEYS: setting(SigningKeys.optional(), {
    default: 'generated once, kept in the store',
    bounds: '`kid:secret,kid:secret`, secrets of 32+ characters',
    meaning: 'access-token signing keys: the first signs, all verify',
  }),
  KEYPLANE_TOKEN_TTL_SECONDS: setting(z.coerce.number().int().min(60).max(86_400).default(900), {
    meaning: 'lifetime of access tokens, in seconds',
  }),
  DATABASE_URL: setting(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
      .optional(),
    {
      default: 'unset: the embedded store',
      bounds: '`postgres://user:password@host:5432/db`',
      meaning: 'use a PostgreSQL server (or a PostgreSQL-compatible engine) instead of the embedded store',
    },
  ),
  DATABASE_POOL_SIZE: setting(z.coerce.number().int().min(1).max(200).default(10), {
    meaning: 'most connections one instance opens',
  }),
  KEYPLANE_CACHE_LEASE_SECONDS: setting(z.coerce.number().int().min(1).max(60).default(5), {
    meaning:
      "on PostgreSQL: how long an instance's promise to hear of revocations lasts between renewals; a revocation " +
      'waits at most this long for an instance that stopped answering',
  }),
  KEYPLANE_HASH_SECRET: setting(z.string().min(32, 'must have at least 32 characters').optional(), {
    default: 'generated once, kept in the store',
    bounds: '32+ characters',
    meaning:
      'server secret keying the HMAC digests of stored secrets; set it in production, outside the database. ' +
      'Changing it invalidates every key',
  }),
  KEYPLANE_RATE_LIMIT_PER_MINUTE: setting(z.coerce.number().int().min(0).max(10_000_000).default(6000), {
    meaning: 'requests one key (or its tokens) may make per minute; `0` turns it off. The root key is not limited',
  }),
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: setting(z.coerce.number().int().min(0).max(1_000_000).default(30), {
    meaning: 'failed authentications one client address may make per minute before it is locked out; `0` turns it off',
  }),
  KEYPLANE_AUTH_LOCKOUT_SECONDS: setting(z.coerce.number().int().min(1).max(86_400).default(300), {
    meaning: 'how long a locked-out client address stays locked out',
  }),
  REDIS_URL: setting(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    {
      default: 'unset: limits counted in memory',
      bounds: '`redis://host:6379`',
      meaning: 'count the limits in Redis, so that every instance enforces one limit',
    },
  ),
  KEYPLANE_REDIS_TIMEOUT_MS: setting(z.coerce.number().int().min(10).max(60_000).default(1000), {
    meaning:
      'how long one Redis command may take: past it, or while Redis is unreachable, each instance counts the limits ' +
      'alone (`/readyz` says `redis: degraded`) and asks Redis again every second',
  }),
  KEYPLANE_MAX_KEYS_PER_ORGANIZATION: setting(z.coerce.number().int().min(1).max(10_000_000).default(10_000), {
    meaning:
      'most keys one organization may hold; creating one more is refused (discue: 402, the other dialects: 403), ' +
      'deleting one makes room',
  }),
  KEYPLANE_LISTS_IN_FLIGHT_PER_ORGANIZATION: setting(z.coerce.number().int().min(1).max(1000).default(1), {
    meaning:
      'list requests (keys, applications, audit events, in every dialect) one organization may have answered at ' +
      "once by one instance; more wait their turn, so that one organization's lists cannot hold up the others' requests",
  }),
  KEYPLANE_LISTS_QUEUED_PER_ORGANIZATION: setting(z.coerce.number().int().min(0).max(100_000).default(1000), {
    meaning:
      'list requests of one organization that may wait for their turn, in order; more are refused with 429 and ' +
      '`Retry-After` until the queue shortens',
  }),
  KEYPLANE_TRUST_PROXY: setting(z.enum(['true', 'false']).default('false'), {
    meaning:
      '`true` behind a load balancer that sets `X-Forwarded-For`: the client address is taken from it ' +
      '(and `/openapi.json` names the address the client used, from `X-Forwarded-Proto` and `X-Forwarded-Host`)',
  }),
  KEYPLANE_LOG_LEVEL: setting(z.enum(LOG_LEVELS).default('info'), {
    meaning: 'least severe log lines written to stdout (`info`: one per request)',
  }),
  KEYPLANE_METRICS_PORT: setting(z.coerce.number().int().min(0).max(65535).optional(), {
    default: 'unset: `/metrics` on `PORT`',
    meaning: 'serve `GET /metrics` on this port (on `HOST`) only, and not on `PORT`: keep it off the public interface',
  }),
} satisfies Record<string, Setting>;

type Schemas<T extends Record<string, Setting>> = { [K in keyof T]: T[K]['schema'] };

const Environment = z.object(
  Object.fromEntries(Object.entries(SETTINGS).map(([name, { schema }]) => [name, schema])) as Schemas<typeof SETTINGS>,
);

/** What a setting's schema says of itself: its default, and the bounds of a number or the values of an enum. */
function describeSchema(schema: z.ZodType): { default?: string; bounds?: string } {
  const described: { default?: string; bounds?: string } = {};
  let inner: z.ZodType = schema;
  if (inner instanceof z.ZodDefault) {
    described.default = `\`${String(inner.def.defaultValue)}\``;
    inner = inner.def.innerType as z.ZodType;
  }
  if (inner instanceof z.ZodOptional) inner = inner.def.innerType as z.ZodType;
  if (inner instanceof z.ZodNumber) {
    const { minValue, maxValue } = inner;
    described.bounds = `integer, ${minValue}–${maxValue}`;
  }
  if (inner instanceof z.ZodEnum) described.bounds = inner.options.map((option) => `\`${String(option)}\``).join(', ');
  return described;
}

export interface SettingDescription {
  readonly name: string;
  readonly default: string;
  readonly bounds: string;
  readonly meaning: string;
}

/** Every setting as the documentation shows it. */
export function describeSettings(): SettingDescription[] {
  return Object.entries(SETTINGS).map(([name, entry]: [string, Setting]) => {
    const own = describeSchema(entry.schema);
    return {
      name,
      default: entry.default ?? own.default ?? 'unset',
      bounds: entry.bounds ?? own.bounds ?? 'text',
      meaning: entry.meaning,
    };
  });
}

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
    /** How long one Redis command may take before the instance counts alone. */
    readonly redisTimeoutMs: number;
  };
  /** Turns at listing, per organization and instance. */
  readonly listLimits: { readonly inFlight: number; readonly queued: number };
  readonly trustProxy: boolean;
  /** Most keys one organization may hold. */
  readonly maxKeysPerOrganization: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** A second port serving `/metrics` alone; `/metrics` then leaves the public port. */
  readonly metricsPort: number | undefined;
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
          cacheLeaseMs: data.KEYPLANE_CACHE_LEASE_SECONDS * 1000,
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
      redisTimeoutMs: data.KEYPLANE_REDIS_TIMEOUT_MS,
    },
    listLimits: {
      inFlight: data.KEYPLANE_LISTS_IN_FLIGHT_PER_ORGANIZATION,
      queued: data.KEYPLANE_LISTS_QUEUED_PER_ORGANIZATION,
    },
    trustProxy: data.KEYPLANE_TRUST_PROXY === 'true',
    maxKeysPerOrganization: data.KEYPLANE_MAX_KEYS_PER_ORGANIZATION,
    logLevel: data.KEYPLANE_LOG_LEVEL,
    metricsPort: data.KEYPLANE_METRICS_PORT,
  };
}

import { resolve } from 'node:path';
import { z } from 'zod';

const HEADER_SAFE = /^[\x21-\x7e]+$/;

const Environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  KEYPLANE_DATA_DIR: z.string().min(1).default('data'),
  KEYPLANE_ROOT_KEY: z
    .string()
    .regex(HEADER_SAFE, 'must be printable ASCII without spaces, to travel in an HTTP header')
    .optional(),
});

export interface Config {
  readonly port: number;
  readonly host: string | undefined;
  /** Absolute folder of the embedded store. */
  readonly dataDir: string;
  readonly rootKey: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and checks the environment once, at start-up; a wrong setting names its variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = Environment.safeParse(blankAsUnset);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const { PORT, HOST, KEYPLANE_DATA_DIR, KEYPLANE_ROOT_KEY } = parsed.data;
  return { port: PORT, host: HOST, dataDir: resolve(KEYPLANE_DATA_DIR), rootKey: KEYPLANE_ROOT_KEY };
}

/** The servers some suites need, each named by the variable that points at it. */
export type Service = 'DATABASE_URL' | 'REDIS_URL';

/**
 * The URL of a service the suite needs, or `undefined` when it is not configured and
 * the suites that need it are to be skipped. Under CI (`CI` set) nothing is skipped:
 * a missing service fails the run, naming the variable.
 *
 * `@keyplane/store` cannot depend on this package (this package depends on it), so its
 * tests import this file by its path; keep it free of imports.
 */
export function requireService(name: Service, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env[name];
  if (url) return url;
  if (isCi(env)) {
    throw new Error(
      `${name} is not set, and under CI (CI=${env.CI}) the suites that need it must run, not be skipped. ` +
        `Point ${name} at a running server, or unset CI to skip them locally.`,
    );
  }
  return undefined;
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

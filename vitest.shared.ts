import { configDefaults, defineConfig } from 'vitest/config';

/** Workspace packages resolve to their TypeScript sources in tests, as in the typecheck. */
const conditions = ['@keyplane/source', 'module', 'node', 'development|production'];

/**
 * Timeouts guard against hangs only: a test that is merely slow, on a busy machine,
 * must still pass. Nothing in the suite may depend on how fast the machine is.
 */
const HANG_GUARD_MS = 10 * 60_000;

/**
 * Two tiers. `unit`: tests named `*.unit.test.ts` that need no server process and no
 * database, and the type tests (`*.test-d.ts`, run by the TypeScript compiler);
 * `pnpm test:unit` runs these alone. `integration`: every other test. `vitest run`
 * runs both.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@keyplane/source'] } },
  test: {
    testTimeout: HANG_GUARD_MS,
    hookTimeout: HANG_GUARD_MS,
    teardownTimeout: HANG_GUARD_MS,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.unit.test.ts'],
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/**/*.unit.test.ts'],
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

/** Workspace packages resolve to their TypeScript sources in tests, as in the typecheck. */
const conditions = ['@keyplane/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@keyplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

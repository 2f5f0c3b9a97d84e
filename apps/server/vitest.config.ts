import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Most of these tests wait on server processes and databases, not on the processor: several
// files run at once (vitest would otherwise run one at a time on a 2-core machine).
export default mergeConfig(shared, defineConfig({ test: { maxWorkers: 4 } }));

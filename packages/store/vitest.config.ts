import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

/**
 * Timeouts here are for hangs, not for speed: an embedded database takes seconds to create
 * on an idle machine and a minute on a busy one, and a test must pass on both.
 */
export default mergeConfig(shared, { test: { testTimeout: 300_000, hookTimeout: 300_000 } });

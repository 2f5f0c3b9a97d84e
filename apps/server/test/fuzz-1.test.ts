import { fuzzShard } from './support/fuzz-suite.js';

// The spec-driven fuzzer, in two shards that run side by side (see support/fuzz-suite.ts).
fuzzShard(0, 2);

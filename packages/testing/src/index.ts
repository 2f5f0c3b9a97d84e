export { ContractValidator, type ObservedResponse } from './contract-validator.js';
export { contractCheck } from './contract-middleware.js';
export { createTestSchema, databaseUrl, openTestStore, STORE_KINDS, type StoreKind } from './stores.js';
export { NASTY_STRINGS, Random, SchemaFuzzer } from './fuzz.js';

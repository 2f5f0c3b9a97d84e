export { contractCheck } from './contract-middleware.js';
export { ContractValidator, type ObservedResponse } from './contract-validator.js';
export { NASTY_STRINGS, Random, SchemaFuzzer } from './fuzz.js';
export { requireService, type Service } from './services.js';
export { createTestSchema, databaseUrl, openTestStore, STORE_KINDS, type StoreKind } from './stores.js';

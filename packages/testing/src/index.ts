export { ContractValidator, type ObservedResponse } from './contract-validator.js';
export { contractCheck } from './contract-middleware.js';

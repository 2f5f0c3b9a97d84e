import { deleteApiKey } from './delete-api-key.js';
import { aerospike } from './dialect.js';

export const aerospikeDialect = { dialect: aerospike, operations: [deleteApiKey] };

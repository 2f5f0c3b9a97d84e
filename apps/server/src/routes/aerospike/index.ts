import { takesTurns } from '../../http/list-limits.js';
import { createApiKey } from './create-api-key.js';
import { deleteApiKey } from './delete-api-key.js';
import { aerospike } from './dialect.js';
import { issueToken } from './issue-token.js';
import { listApiKeys } from './list-api-keys.js';

export const aerospikeDialect = {
  dialect: aerospike,
  operations: [issueToken, createApiKey, takesTurns(listApiKeys), deleteApiKey],
};

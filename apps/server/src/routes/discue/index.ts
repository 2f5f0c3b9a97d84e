import { takesTurns } from '../../http/list-limits.js';
import { createApiKey } from './create-api-key.js';
import { deleteApiKey } from './delete-api-key.js';
import { discue } from './dialect.js';
import { getApiKey } from './get-api-key.js';
import { listApiKeys } from './list-api-keys.js';
import { updateApiKey } from './update-api-key.js';

export const discueDialect = {
  dialect: discue,
  operations: [takesTurns(listApiKeys), createApiKey, getApiKey, updateApiKey, deleteApiKey],
};

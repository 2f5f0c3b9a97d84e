import { deleteApiKey } from './delete-api-key.js';
import { diga } from './dialect.js';

export const digaDialect = { dialect: diga, operations: [deleteApiKey] };

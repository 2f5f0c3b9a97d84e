import { takesTurns } from '../../http/list-limits.js';
import { createApiKey } from './create-api-key.js';
import { createApplication } from './create-application.js';
import { kadosei } from './dialect.js';
import { getApiKey } from './get-api-key.js';
import { getApplication } from './get-application.js';
import { listApiKeys } from './list-api-keys.js';
import { listApplications } from './list-applications.js';
import { revokeApiKey } from './revoke-api-key.js';

export const kadoseiDialect = {
  dialect: kadosei,
  operations: [
    takesTurns(listApplications),
    createApplication,
    getApplication,
    createApiKey,
    takesTurns(listApiKeys),
    getApiKey,
    revokeApiKey,
  ],
};

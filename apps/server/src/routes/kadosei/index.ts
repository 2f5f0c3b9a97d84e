import { kadosei } from './dialect.js';
import { listApplications } from './list-applications.js';
import { revokeApiKey } from './revoke-api-key.js';

export const kadoseiDialect = { dialect: kadosei, operations: [revokeApiKey, listApplications] };

import { takesTurns } from '../../http/list-limits.js';
import { createKey } from './create-key.js';
import { createOrganization } from './create-organization.js';
import { deleteKey } from './delete-key.js';
import { keyplane } from './dialect.js';
import { getKey } from './get-key.js';
import { health } from './health.js';
import { identifyKey } from './identify-key.js';
import { listAuditEvents } from './list-audit-events.js';
import { listKeys } from './list-keys.js';
import { metrics } from './metrics.js';
import { openApiDocument } from './openapi-document.js';
import { readiness } from './readiness.js';
import { rotateKey } from './rotate-key.js';
import { updateKey } from './update-key.js';
import { verifyKey } from './verify-key.js';

export const keyplaneDialect = {
  dialect: keyplane,
  operations: [
    health,
    readiness,
    metrics,
    openApiDocument,
    createOrganization,
    verifyKey,
    identifyKey,
    takesTurns(listKeys),
    createKey,
    getKey,
    updateKey,
    deleteKey,
    rotateKey,
    takesTurns(listAuditEvents),
  ],
};

import { takesTurns } from '../../http/list-limits.js';
import { createOrganization } from './create-organization.js';
import { keyplane } from './dialect.js';
import { health } from './health.js';
import { listAuditEvents } from './list-audit-events.js';
import { metrics } from './metrics.js';
import { openApiDocument } from './openapi-document.js';
import { readiness } from './readiness.js';
import { rotateKey } from './rotate-key.js';
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
    rotateKey,
    takesTurns(listAuditEvents),
  ],
};

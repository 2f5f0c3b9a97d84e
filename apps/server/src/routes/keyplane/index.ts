import { takesTurns } from '../../http/list-limits.js';
import { changeKeyCredits } from './change-key-credits.js';
import { createIdentity } from './create-identity.js';
import { createKey } from './create-key.js';
import { createOrganization } from './create-organization.js';
import { createRole } from './create-role.js';
import { deleteIdentity } from './delete-identity.js';
import { deleteKey } from './delete-key.js';
import { deleteRole } from './delete-role.js';
import { keyplane } from './dialect.js';
import { getIdentity } from './get-identity.js';
import { getKey } from './get-key.js';
import { getRole } from './get-role.js';
import { health } from './health.js';
import { identifyKey } from './identify-key.js';
import { importKeys } from './import-keys.js';
import { listAuditEvents } from './list-audit-events.js';
import { listIdentities } from './list-identities.js';
import { listKeys } from './list-keys.js';
import { listRoles } from './list-roles.js';
import { metrics } from './metrics.js';
import { openApiDocument } from './openapi-document.js';
import { readiness } from './readiness.js';
import { rotateKey } from './rotate-key.js';
import { updateIdentity } from './update-identity.js';
import { updateKey } from './update-key.js';
import { updateRole } from './update-role.js';
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
    importKeys,
    takesTurns(listKeys),
    createKey,
    getKey,
    updateKey,
    deleteKey,
    rotateKey,
    changeKeyCredits,
    takesTurns(listAuditEvents),
    createRole,
    takesTurns(listRoles),
    getRole,
    updateRole,
    deleteRole,
    createIdentity,
    takesTurns(listIdentities),
    getIdentity,
    updateIdentity,
    deleteIdentity,
  ],
};

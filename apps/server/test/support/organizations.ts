import { keyplane } from '@keyplane/client';
import type { Harness } from './harness.js';

/** A fresh organization: its id, default application and admin key, for tests that need a clean tenant. */
export async function newOrganization(harness: Harness, name = 'tenant') {
  const created = await keyplane.createOrganization(harness.client({ apiKey: harness.rootKey }), name);
  return {
    id: created.id,
    defaultApplicationId: created.defaultApplicationId,
    adminKey: created.adminKey.key,
    adminKeyId: created.adminKey.id,
    client: (via: 'apiKey' | 'bearer' = 'bearer') =>
      harness.client(via === 'apiKey' ? { apiKey: created.adminKey.key } : { bearer: created.adminKey.key }),
  };
}

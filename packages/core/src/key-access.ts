import type { ApiKey } from './model.js';
import { type Access, normalizeGrants } from './permissions.js';

/** Each key's access, worked out once for as long as the key object lives (the cache keeps it). */
const worked = new WeakMap<ApiKey, Access>();

/**
 * What a key may do: its own permissions and those of its roles. An unrestricted key stays
 * unrestricted whatever its roles.
 */
export function keyAccess(key: ApiKey): Access {
  if (!key.access.restricted || key.roles.length === 0) return key.access;
  const known = worked.get(key);
  if (known) return known;
  const access: Access = {
    restricted: true,
    grants: normalizeGrants([...key.access.grants, ...key.roles.flatMap((role) => role.grants)]),
  };
  worked.set(key, access);
  return access;
}

import { IpAllowlist } from './ip-allowlist.js';
import type { ApiKey } from './model.js';
import { type Access, ALL_TARGETS, formatPermissions, type Grant, normalizeGrants } from './permissions.js';

/** What a holder of some access may do, asked one permission at a time (see `allows`). */
export interface PermissionHolder {
  allows(resource: string, action: string, target?: string): boolean;
}

const EVERYTHING: PermissionHolder = { allows: () => true };

/**
 * Restricted access as maps: what is held is found by resource, then action, with no text
 * made on the way, where scanning the grants would compare each in turn.
 */
export class PermissionSet implements PermissionHolder {
  /** For each resource and action: every target (`true`), or the targets held. */
  readonly #held = new Map<string, Map<string, true | Set<string>>>();

  constructor(grants: readonly Grant[]) {
    for (const { resource, action, targets } of grants) {
      const actions = this.#held.get(resource) ?? new Map<string, true | Set<string>>();
      this.#held.set(resource, actions);
      const known = actions.get(action);
      if (known === true) continue;
      if (targets.includes(ALL_TARGETS)) {
        actions.set(action, true);
        continue;
      }
      const some = known ?? new Set<string>();
      for (const target of targets) some.add(target);
      actions.set(action, some);
    }
  }

  /** What `access` holds: everything when it is unrestricted. */
  static of(access: Access): PermissionHolder {
    return access.restricted ? new PermissionSet(access.grants) : EVERYTHING;
  }

  allows(resource: string, action: string, target: string = ALL_TARGETS): boolean {
    const targets = this.#held.get(resource)?.get(action);
    if (targets === undefined) return false;
    return targets === true || (target !== ALL_TARGETS && targets.has(target));
  }
}

/**
 * A key as verification asks of it, worked out once from the key as stored: its roles
 * expanded into its access, that access as sets and as text, its allowlist parsed.
 */
export interface VerifiableKey {
  readonly key: ApiKey;
  /** Its own permissions and those of its roles; unrestricted whatever its roles when it is. */
  readonly access: Access;
  readonly permissions: PermissionHolder;
  /** `access` as permission names; null when unrestricted. */
  readonly permissionNames: readonly string[] | null;
  readonly roleNames: readonly string[];
  /** The addresses it may be used from; null: any. */
  readonly allowlist: IpAllowlist | null;
}

/** Each key compiled once for as long as the key object lives: the key cache holds it, and compiles it as it fills. */
const compiled = new WeakMap<ApiKey, VerifiableKey>();

/** What a key of this access of its own and these roles may do. */
export function accessWithRoles(key: Pick<ApiKey, 'access' | 'roles'>): Access {
  if (!key.access.restricted || key.roles.length === 0) return key.access;
  return {
    restricted: true,
    grants: normalizeGrants([...key.access.grants, ...key.roles.flatMap((role) => role.grants)]),
  };
}

export function verifiable(key: ApiKey): VerifiableKey {
  const known = compiled.get(key);
  if (known) return known;
  const access = accessWithRoles(key);
  const made: VerifiableKey = {
    key,
    access,
    permissions: PermissionSet.of(access),
    permissionNames: access.restricted ? formatPermissions(access.grants) : null,
    roleNames: key.roles.map((role) => role.name),
    allowlist: key.ipAllowlist === null ? null : new IpAllowlist(key.ipAllowlist),
  };
  compiled.set(key, made);
  return made;
}

/** What a key may do: its own permissions and those of its roles. */
export const keyAccess = (key: ApiKey): Access => verifiable(key).access;

/** Whether a key may be used from `address` (with an allowlist and no address given: no). */
export const keyAllowedFrom = (key: ApiKey, address: string | undefined): boolean => {
  const { allowlist } = verifiable(key);
  return allowlist === null || allowlist.allows(address);
};

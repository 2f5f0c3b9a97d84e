/**
 * One permission model under every dialect. A grant allows one action on one resource,
 * for some targets (`*` for all). keyplane enforces the grants on its own resources;
 * grants on anything else (a customer's `calls.view`, `queues.write`, …) are kept
 * verbatim so that the platform verifying the key can enforce them.
 */
export interface Grant {
  readonly resource: string;
  readonly action: string;
  readonly targets: readonly string[];
}

/** An unrestricted key may do everything its organization may; a restricted one only its grants. */
export type Access = { readonly restricted: false } | { readonly restricted: true; readonly grants: readonly Grant[] };

export const ALL_TARGETS = '*';

/** The resources and actions keyplane itself enforces. */
export const KEYPLANE_PERMISSIONS = {
  api_keys: ['read', 'create', 'update', 'delete', 'verify'],
  applications: ['read', 'create'],
  audit: ['read'],
  roles: ['read', 'create', 'update', 'delete'],
  identities: ['read', 'create', 'update', 'delete'],
} as const;

export type KeyplaneResource = keyof typeof KEYPLANE_PERMISSIONS;
export type KeyplaneAction<R extends KeyplaneResource> = (typeof KEYPLANE_PERMISSIONS)[R][number];

export const UNRESTRICTED: Access = { restricted: false };

export function grant(resource: string, action: string, targets: readonly string[] = [ALL_TARGETS]): Grant {
  return { resource, action, targets };
}

function grantCovers(held: Grant, wanted: Grant): boolean {
  return (
    held.resource === wanted.resource &&
    held.action === wanted.action &&
    (held.targets.includes(ALL_TARGETS) || wanted.targets.every((target) => held.targets.includes(target)))
  );
}

/** May a holder of `access` perform `action` on `resource` (optionally on one target)? */
export function allows(access: Access, resource: string, action: string, target: string = ALL_TARGETS): boolean {
  if (!access.restricted) return true;
  const wanted = grant(resource, action, [target]);
  return access.grants.some((held) => grantCovers(held, wanted));
}

/** Does `holder` include everything `requested` would give? Keys may not grant more than they hold. */
export function covers(holder: Access, requested: Access): boolean {
  if (!holder.restricted) return true;
  if (!requested.restricted) return false;
  return requested.grants.every((wanted) => holder.grants.some((held) => grantCovers(held, wanted)));
}

/** Merge duplicate resource/action pairs and order grants, so equal access compares equal. */
export function normalizeGrants(grants: readonly Grant[]): Grant[] {
  const byPermission = new Map<string, Set<string>>();
  for (const { resource, action, targets } of grants) {
    const key = `${resource}\u0000${action}`;
    const merged = byPermission.get(key) ?? new Set<string>();
    for (const target of targets) merged.add(target);
    byPermission.set(key, merged);
  }
  return [...byPermission.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, targets]) => {
      const [resource = '', action = ''] = key.split('\u0000');
      return grant(resource, action, targets.has(ALL_TARGETS) ? [ALL_TARGETS] : [...targets].sort());
    });
}

/**
 * The textual form of permissions, shared by keyplane's own operations and Kadosei:
 * `resource.action` for every target, `resource.action:target` for one.
 */
export const PERMISSION_PATTERN = /^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)(?::(\S+))?$/;

export function parsePermission(text: string): Grant | null {
  const match = PERMISSION_PATTERN.exec(text);
  if (!match) return null;
  const [, resource = '', action = '', target] = match;
  return grant(resource, action, [target ?? ALL_TARGETS]);
}

export function formatPermissions(grants: readonly Grant[]): string[] {
  return grants.flatMap(({ resource, action, targets }) =>
    targets.map((target) => (target === ALL_TARGETS ? `${resource}.${action}` : `${resource}.${action}:${target}`)),
  );
}

/** Access limited to `grants`: what both the holder and the grants allow. */
export function narrow(access: Access, grants: readonly Grant[]): Access {
  return {
    restricted: true,
    grants: normalizeGrants(
      grants.flatMap((wanted) => {
        if (!access.restricted) return [wanted];
        return access.grants.flatMap((held) => {
          if (held.resource !== wanted.resource || held.action !== wanted.action) return [];
          if (held.targets.includes(ALL_TARGETS)) return [wanted];
          if (wanted.targets.includes(ALL_TARGETS)) return [held];
          const targets = wanted.targets.filter((target) => held.targets.includes(target));
          return targets.length > 0 ? [grant(held.resource, held.action, targets)] : [];
        });
      }),
    ),
  };
}

/**
 * Replaces the grants one dialect can see with `visible`, keeping those it cannot
 * express, so that a dialect rewriting "the" permission list never erases what
 * another dialect granted.
 */
export function replaceVisibleGrants(
  access: Access,
  isVisible: (held: Grant) => boolean,
  visible: readonly Grant[],
): Access {
  const kept = access.restricted ? access.grants.filter((held) => !isVisible(held)) : [];
  return { restricted: true, grants: normalizeGrants([...kept, ...visible]) };
}

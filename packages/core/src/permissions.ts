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
export type Access =
  | { readonly restricted: false }
  | { readonly restricted: true; readonly grants: readonly Grant[] };

export const ALL_TARGETS = '*';

/** The resources and actions keyplane itself enforces. */
export const KEYPLANE_PERMISSIONS = {
  api_keys: ['read', 'create', 'update', 'delete'],
  applications: ['read', 'create'],
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

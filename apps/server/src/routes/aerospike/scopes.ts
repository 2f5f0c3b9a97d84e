import { type Access, type Grant, grant, narrow } from '@keyplane/core';

/**
 * Aerospike's OAuth scopes and the keyplane permissions they stand for. Reading keys
 * includes reading the applications they belong to, which Kadosei clients need first.
 */
const SCOPES: Readonly<Record<string, readonly Grant[]>> = {
  'read:api-key': [grant('api_keys', 'read'), grant('applications', 'read')],
  'create:api-key': [grant('api_keys', 'create')],
  'delete:api-key': [grant('api_keys', 'delete')],
};

const ALL_SCOPE_GRANTS: readonly Grant[] = Object.values(SCOPES).flat();

/** A space-separated scope string → grants; null when it names a scope Aerospike does not have. */
export function grantsFromScope(scope: string | undefined): Grant[] | null {
  if (scope === undefined || scope.trim() === '') return [...ALL_SCOPE_GRANTS];
  const grants: Grant[] = [];
  for (const name of scope.trim().split(/\s+/)) {
    const found = SCOPES[name];
    if (!found) return null;
    grants.push(...found);
  }
  return grants;
}

/** Grants → the scope string they amount to, in Aerospike's words. */
export function scopeOf(grants: readonly Grant[]): string {
  const holds = (wanted: Grant) =>
    grants.some(
      (held) => held.resource === wanted.resource && held.action === wanted.action && held.targets.includes('*'),
    );
  return Object.entries(SCOPES)
    .filter(([, wanted]) => holds(wanted[0] as Grant))
    .map(([name]) => name)
    .join(' ');
}

/** What an Aerospike-made key may do: the Aerospike scopes its creator holds. */
export const aerospikeAccessOf = (creator: Access): Access => narrow(creator, ALL_SCOPE_GRANTS);

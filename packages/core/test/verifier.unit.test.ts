import { describe, expect, it } from 'vitest';
import {
  type ApiKey,
  allOf,
  grant,
  type KeyRole,
  keyAccess,
  keyAllowedFrom,
  type PermissionQuery,
  PermissionSet,
  parsePermissionQuery,
  type VerificationCheck,
  Verifier,
  verifiable,
  withIpAllowlist,
} from '../src/index.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

const role = (name: string, ...permissions: [string, string][]): KeyRole => ({
  id: `role-${name}`,
  name,
  grants: permissions.map(([resource, action]) => grant(resource, action)),
});

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'k1',
    organizationId: 'org',
    applicationId: 'app',
    name: 'test',
    status: 'enabled',
    access: { restricted: true, grants: [grant('invoices', 'read'), grant('reports', 'write', ['r1'])] },
    hint: 'kp_abcd',
    lastFour: 'wxyz',
    createdBy: null,
    createdAt: new Date(NOW - 1000),
    updatedAt: new Date(NOW - 1000),
    lastUsedAt: null,
    expiresAt: null,
    rotatedAt: null,
    previousSecretExpiresAt: null,
    secretGeneration: 1,
    meta: null,
    ipAllowlist: null,
    identity: null,
    roles: [],
    credits: null,
    ratelimits: [],
    ...overrides,
  };
}

const query = (text: string): PermissionQuery => {
  const parsed = parsePermissionQuery(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe('a key compiled for verification', () => {
  it('holds its own permissions and its roles’, as sets and as names', () => {
    const compiled = verifiable(
      key({ roles: [role('billing', ['invoices', 'write']), role('audit', ['logs', 'read'])] }),
    );
    expect(compiled.permissionNames).toEqual(['invoices.read', 'invoices.write', 'logs.read', 'reports.write:r1']);
    expect(compiled.roleNames).toEqual(['billing', 'audit']);
    expect(compiled.permissions.allows('invoices', 'write')).toBe(true);
    expect(compiled.permissions.allows('logs', 'read', 'any-target')).toBe(true);
    expect(compiled.permissions.allows('reports', 'write', 'r1')).toBe(true);
    // A grant on one target is no grant on every target, nor on another.
    expect(compiled.permissions.allows('reports', 'write')).toBe(false);
    expect(compiled.permissions.allows('reports', 'write', 'r2')).toBe(false);
    expect(compiled.permissions.allows('invoices', 'delete')).toBe(false);
  });

  it('stays unrestricted whatever its roles, and names no permissions then', () => {
    const compiled = verifiable(key({ access: { restricted: false }, roles: [role('narrow', ['a', 'b'])] }));
    expect(compiled.access).toEqual({ restricted: false });
    expect(compiled.permissionNames).toBeNull();
    expect(compiled.permissions.allows('anything', 'at_all', 'x')).toBe(true);
  });

  it('is compiled once for as long as the key object lives', () => {
    const stored = key({ roles: [role('billing', ['invoices', 'write'])], ipAllowlist: ['10.0.0.0/8'] });
    expect(verifiable(stored)).toBe(verifiable(stored));
    expect(keyAccess(stored)).toBe(verifiable(stored).access);
    // Another object — the same key read again after a change — is compiled afresh.
    const changed = { ...stored, roles: [] };
    expect(verifiable(changed).permissionNames).toEqual(['invoices.read', 'reports.write:r1']);
  });

  it('lets every address use a key without an allowlist, and no address use one with an empty list', () => {
    expect(keyAllowedFrom(key(), '198.51.100.1')).toBe(true);
    expect(keyAllowedFrom(key(), undefined)).toBe(true);
    expect(keyAllowedFrom(key({ ipAllowlist: [] }), '198.51.100.1')).toBe(false);
    const fenced = key({ ipAllowlist: ['198.51.100.0/24', '2001:db8::/32'] });
    expect(keyAllowedFrom(fenced, '198.51.100.1')).toBe(true);
    expect(keyAllowedFrom(fenced, '2001:db8::7')).toBe(true);
    expect(keyAllowedFrom(fenced, '198.51.101.1')).toBe(false);
    expect(keyAllowedFrom(fenced, undefined)).toBe(false);
  });
});

describe('the verifier', () => {
  const judge = (options: Parameters<typeof Verifier.of>[0], stored: ApiKey = key()) =>
    Verifier.of(options).judge(verifiable(stored), NOW);

  it('answers VALID for a usable key holding what is asked, and counts it as a use', () => {
    expect(judge({})).toEqual({ code: 'VALID', used: true });
    expect(judge({ permissions: query('invoices.read AND (invoices.write OR reports.write:r1)') })).toEqual({
      code: 'VALID',
      used: true,
    });
    expect(judge({ permissions: allOf([]) })).toEqual({ code: 'VALID', used: true });
  });

  it('refuses a disabled, expired or out-of-place key before asking anything of it, and that is no use', () => {
    const asking = { permissions: query('nothing.held') };
    expect(judge(asking, key({ status: 'disabled' }))).toEqual({ code: 'DISABLED', used: false });
    expect(judge(asking, key({ expiresAt: new Date(NOW) }))).toEqual({ code: 'EXPIRED', used: false });
    expect(judge({ ...asking, ip: '10.0.0.1' }, key({ ipAllowlist: ['192.0.2.0/24'] }))).toEqual({
      code: 'FORBIDDEN',
      used: false,
    });
    expect(judge(asking, key({ ipAllowlist: ['192.0.2.0/24'] }))).toEqual({ code: 'FORBIDDEN', used: false });
    // Disabled is said before expired, expired before the address.
    expect(
      judge({ ip: '10.0.0.1' }, key({ status: 'disabled', expiresAt: new Date(NOW - 1), ipAllowlist: [] })).code,
    ).toBe('DISABLED');
    expect(judge({ ip: '10.0.0.1' }, key({ expiresAt: new Date(NOW - 1), ipAllowlist: [] })).code).toBe('EXPIRED');
  });

  it('answers INSUFFICIENT_PERMISSIONS for a usable key lacking what is asked, which is still a use', () => {
    expect(judge({ permissions: query('invoices.write') })).toEqual({ code: 'INSUFFICIENT_PERMISSIONS', used: true });
    expect(judge({ permissions: query('reports.write') })).toEqual({ code: 'INSUFFICIENT_PERMISSIONS', used: true });
    expect(
      judge(
        { permissions: query('invoices.write'), ip: '192.0.2.9' },
        key({ roles: [role('writer', ['invoices', 'write'])], ipAllowlist: ['192.0.2.0/24'] }),
      ),
    ).toEqual({ code: 'VALID', used: true });
  });

  it('is built from the checks it is given, in order, so that a new one is one more option', () => {
    const seen: string[] = [];
    const noting =
      (name: string, refuses: boolean): VerificationCheck =>
      () => {
        seen.push(name);
        return refuses ? 'FORBIDDEN' : null;
      };
    const verifier = new Verifier([noting('first', false), withIpAllowlist('10.0.0.1')], [noting('asked', true)]);
    expect(verifier.judge(verifiable(key()), NOW)).toEqual({ code: 'FORBIDDEN', used: true });
    expect(seen).toEqual(['first', 'asked']);
    seen.length = 0;
    expect(verifier.judge(verifiable(key({ ipAllowlist: [] })), NOW)).toEqual({ code: 'FORBIDDEN', used: false });
    expect(seen).toEqual(['first']);
  });

  it('asks permissions through the key’s sets as a grant scan would answer them', () => {
    const grants = [grant('a', 'b'), grant('c', 'd', ['x', 'y']), grant('e', 'f', ['*'])];
    const set = new PermissionSet(grants);
    for (const [resource, action, target, held] of [
      ['a', 'b', undefined, true],
      ['a', 'b', 'z', true],
      ['c', 'd', 'x', true],
      ['c', 'd', 'z', false],
      ['c', 'd', undefined, false],
      ['e', 'f', 'q', true],
      ['a', 'd', undefined, false],
    ] as const) {
      expect(set.allows(resource, action, target), `${resource}.${action}:${target}`).toBe(held);
    }
  });
});

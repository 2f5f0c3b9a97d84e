// The domain's keys and credentials on the in-memory store: no database, no HTTP, the verifier
// options and the compiled key as a platform's verification meets them.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Access,
  grant,
  Keyplane,
  type KeyplaneStore,
  openMemoryStore,
  type PermissionQuery,
  type Principal,
  parsePermissionQuery,
  type Result,
  secretDigest,
  UNRESTRICTED,
} from '../src/index.js';

const ROOT = 'root-credential-of-the-unit-suite';

const value = <T>(result: Result<T>): T => {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
};
const query = (text: string): PermissionQuery => value(parsePermissionQuery(text));
const restricted = (...permissions: [string, string][]): Access => ({
  restricted: true,
  grants: permissions.map(([resource, action]) => grant(resource, action)),
});

const opened: Keyplane[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((keyplane) => keyplane.close()));
});

/** A keyplane on a fresh memory store, whose clock the test moves, with one organization and its admin. */
async function domain() {
  let now = Date.parse('2026-06-01T00:00:00Z');
  const store: KeyplaneStore = openMemoryStore();
  let usageWrites = 0;
  const keyplane = new Keyplane(store, {
    digest: secretDigest('a-unit-digest-secret-of-enough-length'),
    cursorSecret: 'a-unit-digest-secret-of-enough-length',
    now: () => new Date(now),
    usageFlushIntervalMs: 60_000,
    usageStore: {
      recordKeyUsage: (usage) => {
        usageWrites += 1;
        return store.recordKeyUsage(usage);
      },
    },
  });
  opened.push(keyplane);
  await keyplane.initializeRoot(ROOT);
  const root = value(await keyplane.authenticate(ROOT, 'unit'));
  const { adminKey } = value(await keyplane.createOrganization(root, { name: 'platform' }));
  const admin = value(await keyplane.authenticate(adminKey.secret, 'unit'));
  return {
    keyplane,
    store,
    admin,
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
    usageWrites: () => usageWrites,
  };
}

describe('verification on the memory store', () => {
  it('answers what a platform asks: a permission query and the address of its user', async () => {
    const { keyplane, admin } = await domain();
    value(await keyplane.createRole(admin, { name: 'billing', grants: [grant('invoices', 'write')] }));
    const { secret } = value(
      await keyplane.createKey(admin, {
        name: 'customer',
        access: restricted(['invoices', 'read']),
        roles: ['billing'],
        ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'],
      }),
    );
    const verify = async (options: Parameters<Keyplane['verifyKey']>[2]) =>
      value(await keyplane.verifyKey(admin, secret, options)).code;

    expect(await verify({ permissions: query('invoices.read AND invoices.write'), ip: '203.0.113.9' })).toBe('VALID');
    expect(await verify({ permissions: query('invoices.delete OR invoices.write'), ip: '2001:db8::1' })).toBe('VALID');
    expect(await verify({ permissions: query('invoices.delete'), ip: '203.0.113.9' })).toBe('INSUFFICIENT_PERMISSIONS');
    expect(await verify({ permissions: query('invoices.read'), ip: '198.51.100.1' })).toBe('FORBIDDEN');
    expect(await verify({ permissions: query('invoices.read') })).toBe('FORBIDDEN');
    expect(value(await keyplane.verifyKey(admin, 'kp_no-such-key', {})).code).toBe('NOT_FOUND');
  });

  it('refuses what a role no longer gives on the very next verification', async () => {
    const { keyplane, admin } = await domain();
    value(await keyplane.createRole(admin, { name: 'billing', grants: [grant('invoices', 'write')] }));
    const { secret } = value(await keyplane.createKey(admin, { name: 'c', access: restricted(), roles: ['billing'] }));
    const asking = { permissions: query('invoices.write') };
    expect(value(await keyplane.verifyKey(admin, secret, asking)).code).toBe('VALID');
    value(await keyplane.updateRole(admin, 'billing', { grants: [grant('invoices', 'read')] }));
    expect(value(await keyplane.verifyKey(admin, secret, asking)).code).toBe('INSUFFICIENT_PERMISSIONS');
    value(await keyplane.deleteRole(admin, 'billing'));
    const answer = value(await keyplane.verifyKey(admin, secret, { permissions: query('invoices.read') }));
    expect(answer.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect(answer.key?.roles).toEqual([]);
  });

  it('tells disabled, expired and deleted keys apart, and finds no other organization’s', async () => {
    const { keyplane, admin, advance } = await domain();
    const make = async (expiresAt: Date | null = null) =>
      value(await keyplane.createKey(admin, { name: 'k', access: UNRESTRICTED, expiresAt }));
    const disabled = await make();
    value(await keyplane.updateKey(admin, disabled.key.id, { status: 'disabled' }));
    const expiring = await make(new Date(Date.parse('2026-06-01T00:01:00Z')));
    const deleted = await make();
    value(await keyplane.deleteKey(admin, deleted.key.id));
    const code = async (secret: string, principal: Principal = admin) =>
      value(await keyplane.verifyKey(principal, secret)).code;

    expect(await code(disabled.secret)).toBe('DISABLED');
    expect(await code(expiring.secret)).toBe('VALID');
    advance(60_000);
    expect(await code(expiring.secret)).toBe('EXPIRED');
    expect(await code(deleted.secret)).toBe('NOT_FOUND');

    const root = value(await keyplane.authenticate(ROOT, 'unit'));
    const other = value(await keyplane.createOrganization(root, { name: 'another' }));
    const stranger = value(await keyplane.authenticate(other.adminKey.secret, 'unit'));
    expect(await code((await make()).secret, stranger)).toBe('NOT_FOUND');
  });

  it('counts a verification as a use without changing the key, and whoami as none', async () => {
    const { keyplane, admin, advance, usageWrites } = await domain();
    const { key, secret } = value(await keyplane.createKey(admin, { name: 'k', access: UNRESTRICTED }));
    expect(value(await keyplane.identifyKey(admin, secret)).lastUsedAt).toBeNull();
    advance(1_000);
    value(await keyplane.verifyKey(admin, secret));
    const used = value(await keyplane.getKey(admin, key.id)).lastUsedAt;
    expect(used).toEqual(new Date(Date.parse('2026-06-01T00:00:01Z')));
    advance(1_000);
    value(await keyplane.identifyKey(admin, secret));
    expect(value(await keyplane.getKey(admin, key.id)).lastUsedAt).toEqual(used);
    // Refused before it is used, a verification is no use either.
    value(await keyplane.updateKey(admin, key.id, { status: 'disabled' }));
    value(await keyplane.verifyKey(admin, secret));
    await keyplane.flushUsage();
    expect(usageWrites()).toBe(1);
    expect(value(await keyplane.getKey(admin, key.id)).lastUsedAt).toEqual(used);
  });

  it('verifies an imported secret in any format, and finds it by keyplane’s digest after its first use', async () => {
    const { keyplane, admin, store } = await domain();
    const foreign = 'sk_live_a-secret-of-another-system-0123456789';
    const sha256 = createHash('sha256').update(foreign).digest('hex');
    const [keyId] = value(await keyplane.importKeys(admin, [{ name: 'imported', access: UNRESTRICTED, sha256 }]));
    expect(value(await keyplane.getKey(admin, keyId as string)).hint).not.toContain('sk_live');
    expect(value(await keyplane.verifyKey(admin, foreign)).code).toBe('VALID');
    expect(await store.findKeyBySecretHash(`sha256:${sha256}`)).toBeNull();
    expect(value(await keyplane.verifyKey(admin, foreign)).key?.id).toBe(keyId);
    expect(value(await keyplane.verifyKey(admin, `${foreign}x`)).code).toBe('NOT_FOUND');
  });
});

describe('credentials on the memory store', () => {
  it('authenticate a key only from an address its allowlist holds', async () => {
    const { keyplane, admin } = await domain();
    const { secret } = value(
      await keyplane.createKey(admin, { name: 'k', access: UNRESTRICTED, ipAllowlist: ['192.0.2.0/24'] }),
    );
    const check = (from?: string) => keyplane.authentication(secret, 'unit', from).lookUp();
    expect((await check('192.0.2.10')).ok).toBe(true);
    expect(await check('198.51.100.1')).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await check()).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  });

  it('keep a rotated-out secret working through its grace period only', async () => {
    const { keyplane, admin, advance } = await domain();
    const first = value(await keyplane.createKey(admin, { name: 'k', access: UNRESTRICTED }));
    const second = value(await keyplane.rotateKey(admin, first.key.id, 60));
    const holds = async (secret: string) => (await keyplane.authenticate(secret, 'unit')).ok;
    expect(await holds(first.secret)).toBe(true);
    expect(await holds(second.secret)).toBe(true);
    advance(60_000);
    expect(await holds(first.secret)).toBe(false);
    expect(await holds(second.secret)).toBe(true);
  });

  it('give a principal its own permissions and its roles’, and nothing more', async () => {
    const { keyplane, admin } = await domain();
    value(await keyplane.createRole(admin, { name: 'reader', grants: [grant('api_keys', 'read')] }));
    const { key, secret } = value(
      await keyplane.createKey(admin, { name: 'k', access: restricted(['api_keys', 'verify']), roles: ['reader'] }),
    );
    const principal = value(await keyplane.authenticate(secret, 'unit'));
    expect((await keyplane.getKey(principal, key.id)).ok).toBe(true);
    expect((await keyplane.verifyKey(principal, secret)).ok).toBe(true);
    expect(await keyplane.deleteKey(principal, key.id)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  });
});

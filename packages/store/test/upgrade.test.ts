// A store written by the release before credits and named limits (schema 8) opens in this one
// with its keys, identities, roles and audit intact, and every key verifies as it did.
import { randomUUID } from 'node:crypto';
import { generateSecret, Keyplane, type Principal, secretDigest } from '@keyplane/core';
import { afterEach, describe, expect, it } from 'vitest';
// By path: @keyplane/testing depends on this package, so this package cannot depend on it.
import { requireService } from '../../testing/src/services.js';
import { createKeyplaneStore, MIGRATIONS, migrate, openPglite, openPostgres } from '../src/index.js';
import type { SqlDatabase } from '../src/sql.js';

const DATABASE_URL = requireService('DATABASE_URL') ?? '';
const KINDS = DATABASE_URL ? (['embedded', 'postgres'] as const) : (['embedded'] as const);
const HASH_SECRET = 'an-upgrade-test-digest-secret-of-enough-length';
const LAST_RELEASED = 8;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(kind: (typeof KINDS)[number]): Promise<SqlDatabase> {
  if (kind === 'embedded') {
    const db = await openPglite();
    cleanups.push(() => db.close());
    return db;
  }
  const schema = `keyplane_upgrade_test_${randomUUID().replaceAll('-', '')}`;
  const db = await openPostgres({ connectionString: DATABASE_URL, schema });
  await db.exec(`create schema ${schema}`);
  cleanups.push(async () => {
    await db.exec(`drop schema if exists ${schema} cascade`);
    await db.close();
  });
  return db;
}

describe.each(KINDS)('an upgrade of the %s store from schema 8', (kind) => {
  it('keeps every key, identity, role and event, and every key verifies as before', async () => {
    const db = await database(kind);
    expect(
      await migrate(
        db,
        MIGRATIONS.filter((migration) => migration.version <= LAST_RELEASED),
      ),
    ).toHaveLength(LAST_RELEASED);
    // Written as that release wrote them: its columns only.
    const [organization, application, identity, role, plain, member] = Array.from({ length: 6 }, () =>
      randomUUID(),
    ) as [string, string, string, string, string, string];
    const [plainSecret, memberSecret] = [generateSecret(), generateSecret()];
    const digest = secretDigest(HASH_SECRET);
    const at = '2026-11-01T00:00:00.000Z';
    await db.query('insert into organizations (id, name, created_at) values ($1, $2, $3)', [organization, 'Old', at]);
    await db.query(
      `insert into applications (id, organization_id, name, is_default, created_at) values ($1, $2, 'Default', true, $3)`,
      [application, organization, at],
    );
    await db.query(
      `insert into identities (id, organization_id, external_id, meta, created_at, updated_at)
       values ($1, $2, 'cus_1', '{"plan": "pro"}', $3, $3)`,
      [identity, organization, at],
    );
    await db.query(
      `insert into roles (id, organization_id, name, grants, created_at, updated_at)
       values ($1, $2, 'readers', '[{"resource": "invoices", "action": "read", "targets": ["*"]}]', $3, $3)`,
      [role, organization, at],
    );
    for (const [id, secret, restricted, identityId] of [
      [plain, plainSecret, false, null],
      [member, memberSecret, true, identity],
    ] as const) {
      await db.query(
        `insert into api_keys (id, organization_id, application_id, name, status, secret_hash, hint, last_four,
           restricted, grants, created_at, updated_at, meta, ip_allowlist, identity_id)
         values ($1, $2, $3, 'old key', 'enabled', $4, $5, $6, $7,
           '[{"resource": "api_keys", "action": "verify", "targets": ["*"]}]', $8, $8, '{"tier": 1}', null, $9)`,
        [
          id,
          organization,
          application,
          digest(secret),
          secret.slice(0, 7),
          secret.slice(-4),
          restricted,
          at,
          identityId,
        ],
      );
    }
    await db.query('insert into key_roles (key_id, role_id) values ($1, $2)', [member, role]);
    await db.query('update organizations set key_count = 2 where id = $1', [organization]);
    await db.query(
      `insert into audit_events (id, organization_id, occurred_at, action, actor_key_id, target_id, request_id, details)
       values ($1, $2, $3, 'api_key.created', null, $4, $5, '{}')`,
      [randomUUID(), organization, at, plain, randomUUID()],
    );

    expect(await migrate(db)).toEqual(
      MIGRATIONS.filter((migration) => migration.version > LAST_RELEASED).map((migration) => migration.version),
    );
    const store = createKeyplaneStore(db);
    const found = await store.findKeyBySecretHash(digest(memberSecret));
    expect(found?.key).toMatchObject({
      id: member,
      name: 'old key',
      meta: { tier: 1 },
      credits: null,
      ratelimits: [],
      identity: { id: identity, externalId: 'cus_1', meta: { plan: 'pro' }, ratelimits: [] },
      roles: [{ id: role, name: 'readers' }],
    });
    expect((await store.listAuditEvents(organization, { limit: 10 })).map((event) => event.targetId)).toEqual([plain]);

    const keyplane = new Keyplane(store, { digest, cursorSecret: HASH_SECRET });
    for (const secret of [plainSecret, memberSecret]) {
      const principal = (await keyplane.authenticate(secret, 'upgrade')) as { ok: true; value: Principal };
      expect(principal.ok).toBe(true);
      const verified = await keyplane.verifyKey(principal.value, secret, { cost: 1, ratelimits: [{ name: 'any' }] });
      expect(verified).toMatchObject({ ok: true, value: { valid: true, code: 'VALID' } });
      expect(verified.ok && verified.value.creditsRemaining).toBeUndefined();
      expect(verified.ok && verified.value.ratelimits).toBeUndefined();
    }
  });
});

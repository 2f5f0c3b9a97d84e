import { describe, expect, it } from 'vitest';
import { builder, jsonb } from '../src/query.js';

/**
 * The compiler checks queries against the columns declared in schema.ts: each
 * `@ts-expect-error` below is a query the typecheck refuses (and fails if it stops refusing).
 */
describe('queries built against the declared schema', () => {
  it('refuses unknown columns, wrongly typed parameters and bare jsonb values', () => {
    // @ts-expect-error: api_keys has no column "secret"
    builder.selectFrom('api_keys').select('secret');
    // @ts-expect-error: a key's status is 'enabled' or 'disabled'
    builder.updateTable('api_keys').set({ status: 'paused' });
    // @ts-expect-error: restricted is a boolean
    builder.selectFrom('api_keys').select('id').where('restricted', '=', 'yes');
    // @ts-expect-error: jsonb is written through jsonb(), never as a bare array
    builder.updateTable('api_keys').set({ grants: [] });
    // @ts-expect-error: the audit sequence is the database's to number
    builder.updateTable('audit_events').set({ sequence: '1' });
    const { sql, parameters } = builder
      .updateTable('api_keys')
      .set({ grants: jsonb([]) })
      .compile();
    expect(sql).toBe('update "api_keys" set "grants" = $1::jsonb');
    expect(parameters).toEqual(['[]']);
  });

  it('types the rows a query selects', () => {
    const query = builder.selectFrom('api_keys').select(['id', 'expires_at', 'grants']);
    type Row = Awaited<ReturnType<typeof query.executeTakeFirstOrThrow>>;
    const row: Row = { id: 'k', expires_at: null, grants: [] };
    // @ts-expect-error: expires_at is a Date or null, never a string
    const wrong: Row = { id: 'k', expires_at: '2030-01-01', grants: [] };
    expect([row, wrong]).toHaveLength(2);
  });
});

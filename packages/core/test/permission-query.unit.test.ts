import { describe, expect, it } from 'vitest';
import {
  allOf,
  grant,
  MAX_PERMISSION_QUERY_LENGTH,
  type PermissionQuery,
  PermissionSet,
  parsePermissionQuery,
  satisfies,
} from '../src/index.js';

const access = PermissionSet.of({
  restricted: true,
  grants: [grant('invoices', 'read'), grant('reports', 'write', ['r1'])],
});

const query = (text: string): PermissionQuery => {
  const parsed = parsePermissionQuery(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};
const holds = (text: string) => satisfies(access, query(text));

describe('permission queries', () => {
  it('ask for one permission, every one joined by AND, one of those joined by OR', () => {
    expect(holds('invoices.read')).toBe(true);
    expect(holds('invoices.write')).toBe(false);
    expect(holds('invoices.read AND reports.write:r1')).toBe(true);
    expect(holds('invoices.read AND invoices.write')).toBe(false);
    expect(holds('invoices.write OR reports.write:r1')).toBe(true);
    expect(holds('invoices.write OR reports.write:r2')).toBe(false);
  });

  it('bind AND tighter than OR, and group by parentheses', () => {
    expect(holds('invoices.write OR invoices.read AND reports.write:r1')).toBe(true);
    expect(holds('invoices.read OR invoices.write AND reports.write:r2')).toBe(true);
    expect(holds('(invoices.read OR invoices.write) AND reports.write:r2')).toBe(false);
    expect(holds('invoices.read AND (invoices.write OR reports.write:r1)')).toBe(true);
    expect(holds('((invoices.read))')).toBe(true);
    expect(query('a.b OR c.d AND e.f')).toEqual({
      kind: 'or',
      operands: [
        { kind: 'permission', grant: grant('a', 'b') },
        {
          kind: 'and',
          operands: [
            { kind: 'permission', grant: grant('c', 'd') },
            { kind: 'permission', grant: grant('e', 'f') },
          ],
        },
      ],
    });
  });

  it('are held by an unrestricted key whatever they ask, and a list means all of it', () => {
    expect(satisfies(PermissionSet.of({ restricted: false }), query('x.y AND (z.w OR q.r:s)'))).toBe(true);
    expect(satisfies(access, allOf([grant('invoices', 'read'), grant('reports', 'write', ['r1'])]))).toBe(true);
    expect(satisfies(access, allOf([grant('invoices', 'read'), grant('reports', 'write')]))).toBe(false);
    expect(satisfies(access, allOf([]))).toBe(true);
  });

  it.each([
    ['', 'expected_permission'],
    ['invoices.read AND', 'expected_permission'],
    ['AND invoices.read', 'expected_permission'],
    ['invoices.read OR OR reports.write', 'expected_permission'],
    ['(invoices.read', 'unbalanced'],
    ['invoices.read)', 'unexpected'],
    ['invoices.read reports.write', 'unexpected'],
    ['invoices.read and reports.write', 'unexpected'],
    ['Invoices.Read', 'bad_permission'],
    ['invoices', 'bad_permission'],
    ['()', 'expected_permission'],
    [`${'('.repeat(33)}a.b${')'.repeat(33)}`, 'too_deep'],
    ['a.b OR '.repeat(200), 'too_long'],
  ])('refuse %j, saying where and why (%s)', (text, code) => {
    const parsed = parsePermissionQuery(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.kind).toBe('invalid');
    expect(parsed.error.issues).toEqual([
      { location: 'body', path: ['permissions'], message: parsed.error.message, code },
    ]);
  });

  it(`take up to ${MAX_PERMISSION_QUERY_LENGTH} characters and 32 parentheses deep`, () => {
    const long = `${'invoices.read OR '.repeat(57)}reports.write:r1`;
    expect(long.length).toBeLessThanOrEqual(MAX_PERMISSION_QUERY_LENGTH);
    expect(holds(long)).toBe(true);
    expect(holds(`${'('.repeat(32)}invoices.read${')'.repeat(32)}`)).toBe(true);
  });

  it('say where a query stops making sense', () => {
    const parsed = parsePermissionQuery('invoices.read AND (reports.write OR )');
    expect(parsed.ok ? '' : parsed.error.message).toBe('Expected a permission but found ")" at character 37.');
  });
});

import { type Grant, parsePermission } from './permissions.js';
import { type Err, fail, ok, type Result } from './result.js';
import type { PermissionHolder } from './verifiable-key.js';

/**
 * What a key must hold for a verification to be valid: permissions joined by `AND` and `OR`,
 * grouped by parentheses (`invoices.read AND (invoices.write OR admin.all)`).
 */
export type PermissionQuery =
  | { readonly kind: 'permission'; readonly grant: Grant }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly PermissionQuery[] };

/** The longest query text taken, and the deepest nesting of parentheses. */
export const MAX_PERMISSION_QUERY_LENGTH = 1_000;
const MAX_DEPTH = 32;

/** Every one of `grants`, as a query (what a list of required permissions means). */
export const allOf = (grants: readonly Grant[]): PermissionQuery => ({
  kind: 'and',
  operands: grants.map((grant) => ({ kind: 'permission', grant })),
});

/** Whether `holder` satisfies the query: an `AND` needs every operand, an `OR` one. */
export function satisfies(holder: PermissionHolder, query: PermissionQuery): boolean {
  switch (query.kind) {
    case 'permission':
      return query.grant.targets.every((target) => holder.allows(query.grant.resource, query.grant.action, target));
    case 'and':
      return query.operands.every((operand) => satisfies(holder, operand));
    case 'or':
      return query.operands.some((operand) => satisfies(holder, operand));
  }
}

type Token = { readonly text: string; readonly at: number };

const TOKEN = /\(|\)|[^\s()]+/g;

/**
 * Reads a query: `AND` binds tighter than `OR`, as in `a OR b AND c` = `a OR (b AND c)`; the
 * operators are written in capitals; a permission is `resource.action` or `resource.action:target`.
 * A query that cannot be read is an `invalid` error saying where and why.
 */
export function parsePermissionQuery(text: string): Result<PermissionQuery> {
  if (text.length > MAX_PERMISSION_QUERY_LENGTH) {
    return invalid(`A permission query is at most ${MAX_PERMISSION_QUERY_LENGTH} characters.`, 'too_long');
  }
  const tokens: Token[] = [...text.matchAll(TOKEN)].map((match) => ({ text: match[0], at: match.index }));
  let next = 0;
  const peek = () => tokens[next]?.text;
  const where = () => {
    const token = tokens[next];
    return token ? `"${token.text}" at character ${token.at + 1}` : 'the end of the query';
  };

  const expression = (depth: number): Result<PermissionQuery> => joined('OR', () => conjunction(depth));
  const conjunction = (depth: number): Result<PermissionQuery> => joined('AND', () => operand(depth));
  function joined(operator: 'AND' | 'OR', part: () => Result<PermissionQuery>): Result<PermissionQuery> {
    const first = part();
    if (!first.ok) return first;
    const operands = [first.value];
    while (peek() === operator) {
      next += 1;
      const more = part();
      if (!more.ok) return more;
      operands.push(more.value);
    }
    return ok(operands.length === 1 ? first.value : { kind: operator === 'AND' ? 'and' : 'or', operands });
  }
  function operand(depth: number): Result<PermissionQuery> {
    const token = peek();
    if (token === '(') {
      if (depth >= MAX_DEPTH) return invalid(`Parentheses nest at most ${MAX_DEPTH} deep.`, 'too_deep');
      next += 1;
      const inner = expression(depth + 1);
      if (!inner.ok) return inner;
      if (peek() !== ')') return invalid(`Expected ")" but found ${where()}.`, 'unbalanced');
      next += 1;
      return inner;
    }
    if (token === undefined || token === ')' || token === 'AND' || token === 'OR') {
      return invalid(`Expected a permission but found ${where()}.`, 'expected_permission');
    }
    const grant = parsePermission(token);
    if (!grant)
      return invalid(`${where()} is no permission: use resource.action or resource.action:target.`, 'bad_permission');
    next += 1;
    return ok({ kind: 'permission', grant });
  }

  const parsed = expression(0);
  if (!parsed.ok) return parsed;
  if (next < tokens.length)
    return invalid(`Expected AND, OR or the end of the query but found ${where()}.`, 'unexpected');
  return parsed;
}

const invalid = (message: string, code: string): Err =>
  fail('invalid', message, { issues: [{ location: 'body', path: ['permissions'], message, code }] });

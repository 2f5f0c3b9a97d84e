import { describe, expect, it } from 'vitest';
import { type Access, allows, covers, grant, normalizeGrants, UNRESTRICTED } from '../src/index.js';

const restricted = (...grants: ReturnType<typeof grant>[]): Access => ({ restricted: true, grants });

describe('permissions', () => {
  it('lets an unrestricted key do everything and a restricted one only its grants', () => {
    expect(allows(UNRESTRICTED, 'api_keys', 'delete')).toBe(true);
    const reader = restricted(grant('api_keys', 'read'));
    expect(allows(reader, 'api_keys', 'read', 'some-id')).toBe(true);
    expect(allows(reader, 'api_keys', 'delete')).toBe(false);
    expect(allows(restricted(), 'api_keys', 'read')).toBe(false);
  });

  it('honours targets: a grant on some ids covers only those', () => {
    const narrow = restricted(grant('queues', 'read', ['q1']));
    expect(allows(narrow, 'queues', 'read', 'q1')).toBe(true);
    expect(allows(narrow, 'queues', 'read', 'q2')).toBe(false);
    expect(allows(narrow, 'queues', 'read')).toBe(false);
  });

  it('never lets a key grant more than it holds', () => {
    const holder = restricted(grant('api_keys', 'create'), grant('queues', 'read', ['q1', 'q2']));
    expect(covers(UNRESTRICTED, UNRESTRICTED)).toBe(true);
    expect(covers(holder, UNRESTRICTED)).toBe(false);
    expect(covers(holder, restricted(grant('queues', 'read', ['q2'])))).toBe(true);
    expect(covers(holder, restricted(grant('queues', 'read')))).toBe(false);
    expect(covers(holder, restricted(grant('api_keys', 'delete')))).toBe(false);
  });

  it('normalizes grants: merged targets, stable order, * absorbing ids', () => {
    expect(
      normalizeGrants([
        grant('queues', 'read', ['b']),
        grant('events', 'write'),
        grant('queues', 'read', ['a', 'b']),
        grant('stats', 'read', ['x']),
        grant('stats', 'read', ['*']),
      ]),
    ).toEqual([grant('events', 'write'), grant('queues', 'read', ['a', 'b']), grant('stats', 'read', ['*'])]);
  });
});

import { describe, expect, it } from 'vitest';
import { allowlistEntryProblem, IpAllowlist } from '../src/index.js';

describe('IP allowlists', () => {
  const list = new IpAllowlist(['203.0.113.7', '10.1.0.0/16', '2001:db8::1', '2001:db8:42::/48']);

  it('allow the addresses and ranges they name, in IPv4 and IPv6, and nothing else', () => {
    for (const address of ['203.0.113.7', '10.1.0.1', '10.1.255.254', '2001:db8::1', '2001:db8:42:ffff::9']) {
      expect(list.allows(address), address).toBe(true);
    }
    for (const address of ['203.0.113.8', '10.2.0.1', '2001:db8::2', '2001:db8:43::1', '::1', '127.0.0.1']) {
      expect(list.allows(address), address).toBe(false);
    }
  });

  it('take an IPv4 address as a dual-stack socket writes it, and refuse what is no address', () => {
    expect(list.allows('::ffff:203.0.113.7')).toBe(true);
    expect(list.allows('::FFFF:10.1.2.3')).toBe(true);
    for (const address of [undefined, '', 'localhost', '203.0.113.7, 10.0.0.1', '10.1.0.0/16']) {
      expect(list.allows(address), String(address)).toBe(false);
    }
  });

  it('take only dotted quads of decimal octets as IPv4 addresses', () => {
    const everywhere = new IpAllowlist(['0.0.0.0/0']);
    for (const address of ['0.0.0.0', '255.255.255.255', '10.0.0.1', '192.168.100.200']) {
      expect(everywhere.allows(address), address).toBe(true);
    }
    for (const address of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.00',
      '256.1.1.1',
      '1.2.3.4a',
      '1.2.3.-4',
      '1,2.3.4',
      ' 1.2.3.4x',
    ]) {
      expect(everywhere.allows(address), address).toBe(false);
    }
  });

  it('read IPv4 ranges written as IPv6, and take no address in a form its socket would not write', () => {
    const mapped = new IpAllowlist(['::ffff:192.0.2.0/120', '::ffff:198.51.100.7']);
    expect(mapped.allows('192.0.2.77')).toBe(true);
    expect(mapped.allows('192.0.3.1')).toBe(false);
    expect(mapped.allows('198.51.100.7')).toBe(true);
    expect(list.allows('010.1.0.1')).toBe(false);
    expect(list.allows('10.1.0.256')).toBe(false);
    expect(new IpAllowlist(['0.0.0.0/0']).allows('255.255.255.255')).toBe(true);
  });

  it.each([
    ['203.0.113.7', null],
    ['10.0.0.0/8', null],
    ['0.0.0.0/0', null],
    ['2001:db8::/32', null],
    ['::/0', null],
    ['300.1.1.1', 'no IPv4'],
    ['10.0.0.0/33', 'prefix longer'],
    ['2001:db8::/129', 'prefix longer'],
    ['10.0.0.0/', 'no IPv4'],
    ['example.com', 'no IPv4'],
    ['', 'no IPv4'],
    [' 10.0.0.1', 'no IPv4'],
  ])('read %j as an entry (problem: %s)', (entry, problem) => {
    const found = allowlistEntryProblem(entry);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });
});

import { BlockList, isIP } from 'node:net';

/** The most entries one key's allowlist may hold. */
export const MAX_ALLOWLIST_ENTRIES = 100;

const CIDR = /^([^/]+)\/(\d{1,3})$/;

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`), as a dual-stack socket reports it, is that IPv4 address. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}

/** Why an allowlist entry cannot be read, or null when it is an IPv4/IPv6 address or a CIDR range of one. */
export function allowlistEntryProblem(entry: string): string | null {
  const range = CIDR.exec(entry);
  const address = range ? (range[1] as string) : entry;
  const family = isIP(address);
  if (family === 0) return `"${entry}" is no IPv4 or IPv6 address, nor a CIDR range of one.`;
  if (range && Number(range[2]) > (family === 4 ? 32 : 128)) {
    return `"${entry}" has a prefix longer than an IPv${family} address.`;
  }
  return null;
}

/** The addresses a key may be used from, read once: `allows` then answers for any address. */
export class IpAllowlist {
  readonly #list = new BlockList();

  /** Entries already checked with `allowlistEntryProblem`; one that is not is ignored. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (allowlistEntryProblem(entry)) continue;
      const range = CIDR.exec(entry);
      const address = unmapped(range ? (range[1] as string) : entry);
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (range) this.#list.addSubnet(address, Number(range[2]), family);
      else this.#list.addAddress(address, family);
    }
  }

  /** Whether `address` is on the list; anything that is no IP address is not. */
  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const plain = unmapped(address.trim());
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Each key's allowlist, read once for as long as the key object lives (the cache keeps it). */
const compiled = new WeakMap<readonly string[], IpAllowlist>();

/** Whether a key with allowlist `entries` (null: none, every address allowed) may be used from `address`. */
export function allowedFrom(entries: readonly string[] | null, address: string | undefined): boolean {
  if (entries === null) return true;
  let list = compiled.get(entries);
  if (!list) {
    list = new IpAllowlist(entries);
    compiled.set(entries, list);
  }
  return list.allows(address);
}

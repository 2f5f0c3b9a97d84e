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

const ZERO = 48;
const NINE = 57;
const DOT = 46;

/**
 * An IPv4 address as a 32-bit number; null when `address` is no dotted quad of decimal
 * octets without leading zeros. Read character by character: it runs on every verification.
 */
function ipv4Number(address: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let at = 0; at < address.length; at += 1) {
    const code = address.charCodeAt(at);
    if (code === DOT) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      dots += 1;
      octet = 0;
      digits = 0;
    } else if (code >= ZERO && code <= NINE) {
      // `010` is no octet: a leading zero only stands alone.
      if (digits > 0 && octet === 0) return null;
      octet = octet * 10 + (code - ZERO);
      digits += 1;
      if (octet > 255) return null;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/**
 * The addresses a key may be used from, read once: `allows` then answers for any address.
 * IPv4 ranges are compared as numbers (most callers are IPv4, and this is the hot path);
 * IPv6 ones by `node:net`'s BlockList.
 */
export class IpAllowlist {
  /** Each IPv4 range as its first and last address. */
  readonly #ipv4: { readonly first: number; readonly last: number }[] = [];
  readonly #ipv6 = new BlockList();

  /** Entries already checked with `allowlistEntryProblem`; one that is not is ignored. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (allowlistEntryProblem(entry)) continue;
      const range = CIDR.exec(entry);
      const written = range ? (range[1] as string) : entry;
      const address = unmapped(written);
      // An IPv4 range written as IPv6 (`::ffff:10.0.0.0/104`) keeps the last 32 bits of its prefix.
      const prefix = range ? Number(range[2]) - (address !== written ? 96 : 0) : 32;
      const v4 = prefix >= 0 ? ipv4Number(address) : null;
      if (v4 !== null) {
        const size = 2 ** (32 - prefix);
        const first = Math.floor(v4 / size) * size;
        this.#ipv4.push({ first, last: first + size - 1 });
      } else if (range) this.#ipv6.addSubnet(written, Number(range[2]), 'ipv6');
      else this.#ipv6.addAddress(written, 'ipv6');
    }
  }

  /** Whether `address` is on the list; anything that is no IP address is not. */
  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const plain = unmapped(address.trim());
    const v4 = ipv4Number(plain);
    if (v4 !== null) return this.#ipv4.some(({ first, last }) => v4 >= first && v4 <= last);
    return isIP(plain) === 6 && this.#ipv6.check(plain, 'ipv6');
  }
}

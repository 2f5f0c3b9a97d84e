import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A keyplane secret reads `kp_` (or a platform's own prefix and `_`) + 43 base62 characters
 * of randomness (256 bits) + a 6-character base62 CRC-32 of everything before it. The prefix
 * lets secret scanners find leaked keys; the checksum lets them (and us) reject typos and
 * random strings offline, before any store lookup.
 */
export const SECRET_PREFIX = 'kp_';
const RANDOM_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const SECRET_LENGTH = SECRET_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** What a platform's prefix may be made of: it is followed by `_` in the secret. */
export const KEY_PREFIX_PATTERN = /^[a-z0-9_]{1,16}$/;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_PATTERN = new RegExp(`^[a-z0-9_]{1,16}_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function toBase62(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i += 1) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out;
}

/** The checksum in base62; a CRC-32 fits a number, so it is spelled out without BigInt's cost on every check. */
function checksum(body: string): string {
  let rest = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** A fresh secret: 256 random bits, prefixed (`kp` unless given another prefix) and checksummed. */
export function generateSecret(prefix = 'kp'): string {
  const random = BigInt(`0x${randomBytes(32).toString('hex')}`);
  const body = `${prefix}_${toBase62(random, RANDOM_LENGTH)}`;
  return body + checksum(body);
}

/** True when `candidate` has the shape and checksum of a keyplane secret, whatever its prefix. */
export function isWellFormedSecret(candidate: string): boolean {
  if (!SECRET_PATTERN.test(candidate)) return false;
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  return checksum(body) === candidate.slice(-CHECKSUM_LENGTH);
}

/**
 * Secrets are stored only as this digest: an HMAC-SHA-256 keyed with a server secret that
 * the database does not hold, so a copy of the database alone cannot test guesses (of a
 * chosen root key, say). 256 random bits need no salt or stretching on top.
 */
export type SecretDigest = (secret: string) => string;

export function secretDigest(serverSecret: string): SecretDigest {
  if (serverSecret.length < 32) throw new Error('the digest key needs at least 32 characters');
  // Imported once: a string key would be converted again on every digest of the hot path.
  const key = createSecretKey(Buffer.from(serverSecret, 'utf8'));
  return (secret) => createHmac('sha256', key).update(secret, 'utf8').digest('hex');
}

/**
 * How a key imported from another system is stored until its first use: the SHA-256 the
 * system kept of its secret, marked so that it can never equal a keyplane digest. Its first
 * successful verification replaces it with the keyplane digest.
 */
export const IMPORTED_DIGEST_PREFIX = 'sha256:';

export const importedDigest = (sha256Hex: string): string => `${IMPORTED_DIGEST_PREFIX}${sha256Hex.toLowerCase()}`;

/** The digest a secret imported from another system was stored under. */
export const importedDigestOf = (secret: string): string =>
  importedDigest(createHash('sha256').update(secret, 'utf8').digest('hex'));

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What may be shown of a secret after creation: its start and its last four characters. */
export function describeSecret(secret: string): { hint: string; lastFour: string } {
  // A keyplane secret shows its prefix and four characters more; any other secret, its first eight at most.
  const start = isWellFormedSecret(secret)
    ? secret.length - RANDOM_LENGTH - CHECKSUM_LENGTH + 4
    : Math.min(8, Math.floor(secret.length / 3));
  return { hint: secret.slice(0, start), lastFour: secret.length >= 16 ? secret.slice(-4) : '' };
}

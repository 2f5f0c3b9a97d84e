import { z } from '@hono/zod-openapi';
import { PERMISSION_PATTERN } from '@keyplane/core';

/** NUL characters and unpaired surrogates cannot be stored by PostgreSQL; they are refused up front. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what PostgreSQL cannot store.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every string in a JSON value (keys included) can be stored by PostgreSQL as it is. */
export function isStorableJson(value: unknown): boolean {
  if (typeof value === 'string') return !UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => !UNSTORABLE.test(key) && isStorableJson(item));
  }
  return true;
}

/** Text that is kept: bounded, and storable as it is. */
export const storedText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !UNSTORABLE.test(value), 'Must not contain NUL characters or unpaired surrogates.');

export const timestamp = z.iso.datetime({ offset: true });

/**
 * A uuid naming a resource, put in its one canonical form (lower case) as it enters: a
 * uuid in upper or mixed case names the same key, and every comparison and cache after
 * this point sees one spelling of it.
 */
export const resourceId = z.uuid().transform((id) => id.toLowerCase());

const ANY_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that may be any string (Aerospike's `clientId`): canonical when it is a uuid, as sent otherwise. */
export const canonicalClientId = (id: string) => (ANY_CASE_UUID.test(id) ? id.toLowerCase() : id);
export const clientId = z.string().transform(canonicalClientId);

/** The last millisecond of the year 9999: later instants are not valid times anywhere downstream. */
const LATEST_MILLIS = 253_402_300_799_999;

export const isFuture = (millis: number) => millis > Date.now() && millis <= LATEST_MILLIS;

export const futureTimestamp = timestamp.refine(
  (value) => isFuture(Date.parse(value)),
  'The expiry must be in the future (and before the year 10000).',
);

/** Permissions as text: `resource.action` or `resource.action:target`. */
export const permissionStrings = z.array(
  storedText(300).regex(PERMISSION_PATTERN, 'Use resource.action or resource.action:target'),
);

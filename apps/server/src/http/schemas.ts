import { z } from '@hono/zod-openapi';
import { PERMISSION_PATTERN } from '@keyplane/core';

/** NUL characters and unpaired surrogates cannot be stored by PostgreSQL; they are refused up front. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that is kept: bounded, and storable as it is. */
export const storedText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !UNSTORABLE.test(value), 'Must not contain NUL characters or unpaired surrogates.');

export const timestamp = z.iso.datetime({ offset: true });

/** The last millisecond of the year 9999: later instants are not valid times anywhere downstream. */
export const LATEST_MILLIS = 253_402_300_799_999;

export const isFuture = (millis: number) => millis > Date.now() && millis <= LATEST_MILLIS;

export const futureTimestamp = timestamp.refine(
  (value) => isFuture(Date.parse(value)),
  'The expiry must be in the future (and before the year 10000).',
);

/** Permissions as text: `resource.action` or `resource.action:target`. */
export const permissionStrings = z.array(
  storedText(300).regex(PERMISSION_PATTERN, 'Use resource.action or resource.action:target'),
);

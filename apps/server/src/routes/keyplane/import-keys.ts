import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { accessOf, KeyRequest } from './keys.js';
import { problems } from './schemas.js';

/** The SHA-256 of a secret, as hex or base64 (either alphabet), read as hex. */
const Sha256 = z
  .string()
  .max(88)
  .transform((text, context) => {
    if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
    const bytes = /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (bytes.length === 32) return bytes.toString('hex');
    context.addIssue({
      code: 'custom',
      message: 'The SHA-256 of the secret, as 64 hex digits or 44 base64 characters.',
    });
    return z.NEVER;
  });

const ImportedKey = KeyRequest.extend({
  // An imported key keeps the secret it has.
  prefix: z
    .string()
    .refine(() => false, 'An imported key keeps its secret: prefix does not apply.')
    .optional(),
  hash: z.object({ algorithm: z.literal('sha256'), value: Sha256 }),
});

const route = createRoute({
  method: 'post',
  path: '/v1/keys/import',
  request: { body: jsonRequestBody(z.object({ keys: z.array(ImportedKey).min(1).max(1_000) })) },
  responses: {
    201: withJson('The ids of the imported keys, in the order given.', z.object({ keyIds: z.array(z.uuid()) })),
    ...problems([400, 401, 403, 404, 409, 415]),
  },
});

/**
 * Keys of another system, by the SHA-256 it kept of each secret: all are stored or none. The
 * original secrets verify from then on, whatever their format; each is stored under keyplane's
 * own digest at its first successful use.
 */
export const importKeys = defineOperation(route, async (c) => {
  const { keys } = c.req.valid('json');
  const imported = await c.get('keyplane').importKeys(
    c.get('principal'),
    keys.map(({ hash, permissions = [], enabled = true, expiresAt = null, applicationId, prefix: _, ...key }) => ({
      sha256: hash.value,
      name: key.name,
      access: accessOf(permissions),
      status: enabled ? 'enabled' : 'disabled',
      expiresAt: expiresAt === null ? null : new Date(expiresAt),
      meta: key.meta ?? null,
      ipAllowlist: key.ipAllowlist ?? null,
      roles: key.roles ?? [],
      externalId: key.externalId ?? null,
      ...(applicationId === undefined ? {} : { applicationId }),
    })),
  );
  return imported.ok ? { status: 201, body: { keyIds: imported.value } } : imported;
});

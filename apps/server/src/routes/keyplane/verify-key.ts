import { isIP } from 'node:net';
import { createRoute, z } from '@hono/zod-openapi';
import {
  allOf,
  type Grant,
  MAX_NAMED_LIMITS,
  MAX_PERMISSION_QUERY_LENGTH,
  ok,
  type PermissionQuery,
  parsePermission,
  parsePermissionQuery,
  type Result,
  verifiable,
} from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { jsonRequestBody, withJson } from '../../http/responses.js';
import { permissionStrings, storedText, timestamp } from '../../http/schemas.js';
import { CreditCount, identityOf, Key } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/v1/keys/verify',
  request: {
    body: jsonRequestBody(
      z.object({
        key: z.string().max(512),
        // A list: every one is required. A text: a query of permissions joined by AND and OR.
        permissions: z.union([permissionStrings.max(50), z.string().max(MAX_PERMISSION_QUERY_LENGTH)]).optional(),
        // The address the platform's caller came from, for keys with an allowlist.
        ip: z
          .string()
          .max(64)
          .refine((address) => isIP(address) !== 0, 'Must be an IPv4 or IPv6 address.')
          .optional(),
        // Labels of this verification, for the platform's own analytics.
        tags: z.array(storedText(128)).max(10).optional(),
        // What the verification spends of a key with credits.
        credits: z.object({ cost: CreditCount.optional() }).optional(),
        // The named limits it counts against besides those applied to every verification.
        ratelimits: z
          .array(z.object({ name: z.string().min(1).max(64), cost: CreditCount.optional() }))
          .max(MAX_NAMED_LIMITS)
          .refine((asked) => new Set(asked.map(({ name }) => name)).size === asked.length, 'Each name at most once.')
          .optional(),
      }),
    ),
  },
  responses: {
    200: withJson(
      'Whether the key is valid, and why not.',
      z.object({
        valid: z.boolean(),
        code: z.enum([
          'VALID',
          'NOT_FOUND',
          'DISABLED',
          'EXPIRED',
          'FORBIDDEN',
          'INSUFFICIENT_PERMISSIONS',
          'USAGE_EXCEEDED',
          'RATE_LIMITED',
        ]),
        keyId: z.uuid().optional(),
        applicationId: z.uuid().optional(),
        name: z.string().optional(),
        permissions: z.array(z.string()).nullable().optional(),
        expiresAt: timestamp.nullable().optional(),
        meta: z.record(z.string(), z.unknown()).nullable().optional(),
        identity: Key.shape.identity.optional(),
        roles: z.array(z.string()).optional(),
        credits: z.object({ remaining: z.number().int() }).optional(),
        ratelimits: z
          .array(
            z.object({
              name: z.string(),
              limit: z.number().int(),
              remaining: z.number().int(),
              reset: z.number().int(),
              exceeded: z.boolean(),
            }),
          )
          .optional(),
      }),
    ),
    ...problems([400, 401, 403, 415]),
  },
});

/** Queries read lately: a platform asks the same few questions on every request. */
const READ_QUERIES = 1_000;
const readQueries = new Map<string, Result<PermissionQuery>>();

function readQuery(text: string): Result<PermissionQuery> {
  const known = readQueries.get(text);
  if (known) return known;
  const read = parsePermissionQuery(text);
  if (readQueries.size >= READ_QUERIES) readQueries.delete(readQueries.keys().next().value as string);
  readQueries.set(text, read);
  return read;
}

/** The hot path of a platform checking its customers' keys. */
export const verifyKey = defineOperation(route, async (c) => {
  const { key: secret, permissions = [], ip, credits, ratelimits } = c.req.valid('json');
  const required =
    typeof permissions === 'string'
      ? readQuery(permissions)
      : ok(allOf(permissions.map((text) => parsePermission(text) as Grant)));
  if (!required.ok) return required;
  const verified = await c.get('keyplane').verifyKey(c.get('principal'), secret, {
    permissions: required.value,
    ...(ip === undefined ? {} : { ip }),
    ...(credits?.cost === undefined ? {} : { cost: credits.cost }),
    ...(ratelimits === undefined ? {} : { ratelimits }),
  });
  if (!verified.ok) return verified;
  const { valid, code, key, creditsRemaining, ratelimits: counted } = verified.value;
  c.get('metrics')?.verifications.inc({ code });
  const compiled = key ? verifiable(key) : null;
  return {
    status: 200,
    body:
      key && compiled
        ? {
            valid,
            code,
            keyId: key.id,
            applicationId: key.applicationId,
            name: key.name,
            // What the key may do: its own permissions and its roles'.
            permissions: compiled.permissionNames && [...compiled.permissionNames],
            expiresAt: key.expiresAt?.toISOString() ?? null,
            meta: key.meta === null ? null : { ...key.meta },
            identity: identityOf(key),
            roles: [...compiled.roleNames],
            ...(creditsRemaining === undefined ? {} : { credits: { remaining: creditsRemaining } }),
            ...(counted === undefined ? {} : { ratelimits: counted.map((state) => ({ ...state })) }),
          }
        : { valid, code },
  };
});

import { z } from '@hono/zod-openapi';
import { errorResponses } from '../../http/responses.js';
import { isFuture, resourceId, storedText } from '../../http/schemas.js';

export const DISCUE_RESOURCES = [
  'api_clients',
  'api_keys',
  'events',
  'queues',
  'listeners',
  'messages',
  'schemas',
  'stats',
  'subscriptions',
] as const;

/** Scopes on these resources cannot be granted through the API (discue's rule). */
export const PROTECTED_RESOURCES: readonly (typeof DISCUE_RESOURCES)[number][] = [
  'api_clients',
  'api_keys',
  'subscriptions',
];

const DiscueError = z.object({ title: z.string(), status: z.number().int() });

export const discueErrors = errorResponses(
  [400, 401, 402, 403, 404, 405, 406, 409, 413, 415, 422, 423, 429, 500, 501, 503],
  DiscueError,
);

/** `pretty`, `pretty=true`, `pretty=1` … pretty-print; `pretty=false`, `pretty=0` … do not. */
export const PRETTY_TRUE = ['', 'true', '1', 'yes', 'on'];
const PRETTY_FALSE = ['false', '0', 'no', 'off'];
export const prettyQuery = z.object({
  pretty: z
    .string()
    .refine(
      (value) => [...PRETTY_TRUE, ...PRETTY_FALSE].includes(value.toLowerCase()),
      'Use pretty=true or pretty=false.',
    )
    .transform((value) => PRETTY_TRUE.includes(value.toLowerCase()))
    .optional(),
});
export const apiKeyIdParams = z.object({ api_key_id: resourceId });

const resource = z.enum(DISCUE_RESOURCES);
const access = z.enum(['read', 'write']);
const status = z.enum(['enabled', 'disabled']);

export const DiscueScope = z.object({ resource, access, targets: z.array(z.string()).min(1) });

export const DiscueScopeRequest = z.object({
  resource,
  access,
  targets: z.array(storedText(255).min(1)).min(1).max(1000).optional(),
});

export const DiscueApiKeyRequest = z.object({
  name: storedText(255).optional(),
  status: status.optional(),
  scopes: z.array(DiscueScopeRequest).max(100).optional(),
  expires_at: z
    .number()
    .int()
    .min(0)
    .refine(isFuture, 'The expiry must be in the future (and before the year 10000).')
    .nullable()
    .optional(),
});

export const DiscueApiKey = z.object({
  id: z.uuid(),
  name: z.string(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  last_used_at: z.number().int().optional(),
  key: z.string(),
  status,
  scopes: z.array(DiscueScope),
  expires_at: z.number().int().optional(),
});

const DiscueLink = z.object({ href: z.string() });
const DiscueLinks = z.object({ self: DiscueLink, next: DiscueLink.optional() });

export const DiscueApiKeyCreated = z.object({ id: z.uuid(), api_key: z.string(), _links: DiscueLinks });
export const DiscueApiKeyResponse = z.object({ api_key: DiscueApiKey, _links: DiscueLinks });
export const DiscueApiKeyList = z.object({ api_keys: z.array(DiscueApiKey), _links: DiscueLinks });

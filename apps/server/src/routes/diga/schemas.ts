import { z } from '@hono/zod-openapi';
import { addedResponses, withJson } from '../../http/responses.js';
import { futureTimestamp, resourceId, storedText } from '../../http/schemas.js';

export const DigaErrorResponseSchema = z.object({
  status: z.string().optional(),
  error_code: z.string(),
  message: z.string(),
});

const DigaHTTPValidationError = z.object({
  detail: z
    .array(z.object({ loc: z.array(z.union([z.string(), z.number().int()])), msg: z.string(), type: z.string() }))
    .optional(),
});

export const digaAdded = addedResponses(DigaErrorResponseSchema);

export const digaErrors = {
  403: withJson('Forbidden - Insufficient permissions', DigaErrorResponseSchema),
  422: withJson('Validation Error', DigaHTTPValidationError),
  ...digaAdded,
  500: withJson('Internal Server Error', DigaErrorResponseSchema),
};

export const digaNotFound = { 404: withJson('Api Key Not Found', DigaErrorResponseSchema) };

/** diga's published permission vocabulary, verbatim. */
export const DIGA_PERMISSIONS = [
  'companies.delete',
  'companies.update',
  'calls.create',
  'calls.delete',
  'calls.update',
  'calls.view',
  'messages.view',
  'agents.view',
  'agents.create',
  'agents.update',
  'agents.delete',
  'phones.view',
  'phones.purchase',
  'phones.delete',
  'phones.update',
  'phones.import',
  'tools.view',
  'tools.create',
  'tools.delete',
  'tools.update',
  'contacts.view',
  'contacts.delete',
  'conversational_paths.view',
  'conversational_paths.create',
  'conversational_paths.delete',
  'conversational_paths.update',
  'knowledge_bases.view',
  'knowledge_bases.create',
  'knowledge_bases.delete',
  'knowledge_bases.update',
  'webhooks.view',
  'webhooks.create',
  'webhooks.delete',
  'webhooks.update',
  'members.view',
  'members.create',
  'members.delete',
  'members.update',
  'billing.view',
  'billing.update',
  'api_keys.view',
  'api_keys.create',
  'api_keys.delete',
  'api_keys.update',
  'voices.view',
  'transcriptions.view',
  'recordings.view',
  'stats.view',
  'verifications.create',
  'verifications.view',
  'notifications.view',
  'notifications.update',
  'logs.view',
  'integrations.view',
  'integrations.create',
  'integrations.update',
  'integrations.delete',
  'workflows.view',
  'workflows.create',
  'workflows.update',
  'workflows.delete',
] as const;

const DigaPermission = z.enum(DIGA_PERMISSIONS);
export type DigaPermissionName = z.output<typeof DigaPermission>;

const permissions = z
  .array(DigaPermission)
  .max(DIGA_PERMISSIONS.length * 2)
  .nullable();

export const DigaApiKeyRequestSchema = z.object({
  name: storedText(255),
  expiry_date: futureTimestamp.nullable().optional(),
  restricted: z.boolean(),
  permissions: permissions.optional(),
});

export const DigaApiKeyUpdateRequest = z.object({
  name: storedText(255).optional(),
  restricted: z.boolean().optional(),
  permissions: permissions.optional(),
});

export const DigaRedactedApiKeyResponseSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  created_date: z.string(),
  last_four_digits: z.string(),
  creator_id: z.uuid(),
  permissions: z.array(DigaPermission).nullable().optional(),
  restricted: z.boolean(),
});

export const DigaApiKeyResponse = DigaRedactedApiKeyResponseSchema.extend({ value: z.string().nullable().optional() });

export const digaKeyId = z.object({ id: resourceId });

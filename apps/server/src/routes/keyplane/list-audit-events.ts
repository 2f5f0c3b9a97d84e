import { createRoute, z } from '@hono/zod-openapi';
import { AUDIT_ACTIONS } from '@keyplane/core';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { timestamp } from '../../http/schemas.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/audit-events',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(500).optional(),
    }),
  },
  responses: {
    200: withJson(
      'Audit events, newest first.',
      z.object({
        data: z.array(
          z.object({
            id: z.uuid(),
            occurredAt: timestamp,
            action: z.enum(AUDIT_ACTIONS),
            actorKeyId: z.uuid().nullable(),
            targetId: z.uuid(),
            requestId: z.string(),
            details: z.record(z.string(), z.unknown()),
          }),
        ),
        nextCursor: z.string().nullable(),
      }),
    ),
    ...problems([400, 401, 403]),
  },
});

export const listAuditEvents = defineOperation(route, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const listed = await c.get('keyplane').listAuditEvents(c.get('principal'), {
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (!listed.ok) return listed;
  return {
    status: 200,
    body: {
      data: listed.value.events.map((event) => ({
        id: event.id,
        occurredAt: event.occurredAt.toISOString(),
        action: event.action,
        actorKeyId: event.actorKeyId,
        targetId: event.targetId,
        requestId: event.requestId,
        details: { ...event.details },
      })),
      nextCursor: listed.value.nextCursor,
    },
  };
});

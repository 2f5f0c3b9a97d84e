import { z } from '@hono/zod-openapi';

export const AerospikeError = z
  .object({ code: z.string().optional(), message: z.string() })
  .catchall(z.unknown());

import { z } from '@hono/zod-openapi';

export const KeyplaneProblem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
});

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: KeyplaneProblem } },
});

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

/** The problem responses of keyplane's authenticated operations, 429 included: all are rate limited. */
export const problems = <const S extends 400 | 401 | 403 | 404 | 415>(statuses: readonly S[]) =>
  Object.fromEntries([...statuses, 429].map((status) => [status, problemResponse(String(status))])) as unknown as {
    [K in S | 429]: ReturnType<typeof problemResponse>;
  };

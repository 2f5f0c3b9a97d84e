import { z } from '@hono/zod-openapi';
import { ADDED_STATUSES } from '../../http/responses.js';

const KeyplaneProblem = z.object({
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

const problemResponses = <const S extends number>(statuses: readonly S[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemResponse(String(status))])) as unknown as {
    [K in S]: ReturnType<typeof problemResponse>;
  };

/** The problem responses given, and keyplane's hygiene and rate limits, which every operation may answer. */
export const problems = <const S extends 400 | 401 | 403 | 404 | 409 | 415>(statuses: readonly S[]) =>
  problemResponses([...statuses, ...ADDED_STATUSES, 500 as const]);

/** The same for the operations that take no credential, and so have no key to limit. */
export const publicProblems = <const S extends 503>(statuses: readonly S[]) =>
  problemResponses([...statuses, 406 as const, 413 as const, 500 as const]);

/** The query of a page of a list: how many, and after which cursor this API returned. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});

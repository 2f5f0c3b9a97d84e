import type { z } from '@hono/zod-openapi';

/** The HTTP reason phrases keyplane's dialects use in their error bodies. */
const REASON_PHRASES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
} as const;

export type ErrorStatus = keyof typeof REASON_PHRASES;

export const reasonPhrase = (status: number): string => REASON_PHRASES[status as ErrorStatus] ?? 'Error';

/** Route response declarations for a set of error statuses sharing one body schema. */
export function errorResponses<const S extends ErrorStatus, Schema extends z.ZodType>(
  statuses: readonly S[],
  schema: Schema,
  mediaType: string = 'application/json',
) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: REASON_PHRASES[status], content: { [mediaType]: { schema } } }]),
  ) as unknown as { [K in S]: { description: string; content: { 'application/json': { schema: Schema } } } };
}

/** What keyplane may answer on any operation of any dialect: 406, 413 and its rate limits. */
export const ADDED_STATUSES = [406, 413, 429] as const;

/** The declarations of the statuses keyplane adds, in a dialect's error body. */
export const addedResponses = <Schema extends z.ZodType>(schema: Schema) => errorResponses(ADDED_STATUSES, schema);

/** A response declaration with a JSON body. */
export const withJson = <S extends z.ZodType>(description: string, schema: S) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body. */
export const jsonRequestBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/json': { schema } },
});

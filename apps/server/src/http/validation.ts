import type { IssueLocation, KeyplaneError, ValidationIssue } from '@keyplane/core';
import type { ZodError } from 'zod';

const LOCATIONS: Record<string, IssueLocation> = {
  param: 'path',
  query: 'query',
  header: 'header',
  json: 'body',
  form: 'body',
};

type ZodIssue = ZodError['issues'][number];

function codeOf(issue: ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'missing';
  if (issue.code === 'invalid_format') return `${issue.format}_parsing`;
  return issue.code;
}

function messageOf(issue: ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Field required';
  return issue.message;
}

/** A failed zod validation of one part of the request, as a domain error. */
export function validationError(target: string, error: ZodError): KeyplaneError {
  const location = LOCATIONS[target] ?? 'body';
  const issues: ValidationIssue[] = error.issues.map((issue) => ({
    location,
    path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
    message: messageOf(issue),
    code: codeOf(issue),
  }));
  return { kind: 'invalid', message: 'The request is not valid.', issues };
}

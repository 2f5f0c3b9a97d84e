import { KeyplaneRequestError } from '@keyplane/client';

/** The exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  usage: 1,
  notFound: 2,
  unauthorized: 3,
  invalid: 4,
  unavailable: 5,
  notValid: 6,
} as const;

type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains in one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The human part of a dialect's error body, whichever dialect answered. */
function describe(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const fields = body as Record<string, unknown>;
  for (const name of ['detail', 'message', 'error_description', 'title', 'error']) {
    const value = fields[name];
    if (typeof value === 'string' && value) return value;
  }
  if (Array.isArray(fields.detail)) return JSON.stringify(fields.detail);
  return undefined;
}

function exitCodeOf(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.unauthorized;
  if (status === 404) return EXIT.notFound;
  if (status >= 500 || status === 429) return EXIT.unavailable;
  return EXIT.invalid;
}

/** A failure of a command as the line to print and the code to exit with; `undefined` for a bug. */
export function explain(error: unknown, url: string): CliError | undefined {
  if (error instanceof CliError) return error;
  if (error instanceof KeyplaneRequestError) {
    const detail = describe(error.body);
    return new CliError(`keyplane answered ${error.status}${detail ? `: ${detail}` : ''}`, exitCodeOf(error.status));
  }
  // fetch fails with a TypeError of its own when no answer comes (refused, reset, bad host).
  const unreachable = error instanceof TypeError && error.message === 'fetch failed';
  if (unreachable || (error instanceof Error && error.name === 'TimeoutError')) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return new CliError(`cannot reach keyplane at ${url}${cause}`, EXIT.unavailable);
  }
  return undefined;
}

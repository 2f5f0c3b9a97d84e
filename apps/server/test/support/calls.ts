import type { Harness } from './harness.js';

/**
 * Requests with the root key, each answer checked against the contract of its operation's
 * template: its status and parsed body.
 */
export const rootCalls =
  (harness: () => Harness) => async (method: string, path: string, template: string, body?: unknown) => {
    const response = await harness().fetch(path, {
      method,
      headers: { Authorization: `Bearer ${harness().rootKey}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const { body: answer } = await harness().conforming(method, template, response);
    return { status: response.status, body: answer as Record<string, unknown> };
  };

import type { Middleware } from 'openapi-fetch';
import { ContractValidator } from './contract-validator.js';

/**
 * An openapi-fetch middleware that checks every response against the contract and
 * fails the call that received a non-conforming one, so every test through the
 * client is also a contract test.
 */
export function contractCheck(
  validator = new ContractValidator(),
  options: { only?: (schemaPath: string) => boolean; document?: string } = {},
): Middleware {
  return {
    async onResponse({ request, response, schemaPath }) {
      if (options.only && !options.only(schemaPath)) return undefined;
      const problems = validator.problems({
        method: request.method,
        path: schemaPath,
        status: response.status,
        headers: response.headers,
        body: await response.clone().text(),
      });
      if (problems.length > 0) {
        throw new Error(`breaks ${options.document ?? 'the contract'}:\n  ${problems.join('\n  ')}`);
      }
      return undefined;
    },
  };
}

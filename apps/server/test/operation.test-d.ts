import { createRoute } from '@hono/zod-openapi';
import { describe, expectTypeOf, it } from 'vitest';
import type { ContractMismatch } from '../src/http/contract.js';
import { defineOperation } from '../src/http/operation.js';
import { withJson } from '../src/http/responses.js';
import {
  apiKeyIdParams,
  DiscueApiKeyCreated,
  DiscueApiKeyResponse,
  discueErrors,
  prettyQuery,
} from '../src/routes/discue/schemas.js';

/**
 * defineOperation's refusals, checked by the TypeScript compiler: a route that differs
 * from its operation in the contract does not compile, and the reason is in the message.
 * Each case changes one thing of discue's "get an api key" route, which matches.
 */
const handler = async (): Promise<never> => {
  throw new Error('never called: these routes are only type-checked');
};

const matching = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: { 200: withJson('Ok', DiscueApiKeyResponse), ...discueErrors },
});

const unknownPath = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}/secret',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: { 200: withJson('Ok', DiscueApiKeyResponse), ...discueErrors },
});

const extraStatus = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: {
    200: withJson('Ok', DiscueApiKeyResponse),
    203: withJson('Ok', DiscueApiKeyResponse),
    ...discueErrors,
  },
});

const { 200: _ok, ...errorsOnly } = { 200: withJson('Ok', DiscueApiKeyResponse), ...discueErrors };
const missingStatus = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: errorsOnly,
});

const otherBody = createRoute({
  method: 'get',
  path: '/v1/api_keys/{api_key_id}',
  request: { params: apiKeyIdParams, query: prettyQuery },
  responses: { 200: withJson('Ok', DiscueApiKeyCreated), ...discueErrors },
});

describe('defineOperation, at compile time', () => {
  it('accepts a route that matches its operation in the contract', () => {
    defineOperation(matching, handler);
    expectTypeOf<ContractMismatch<typeof matching>>().toBeNever();
  });

  it('refuses a route whose path is not in the contract', () => {
    // @ts-expect-error the contract has no GET /v1/api_keys/{api_key_id}/secret
    defineOperation(unknownPath, handler);
    expectTypeOf<
      ContractMismatch<typeof unknownPath>
    >().toEqualTypeOf<'GET /v1/api_keys/{api_key_id}/secret is not an operation of the contract'>();
  });

  it('refuses a route that declares a status the contract does not', () => {
    // @ts-expect-error 203 is not a status of the operation
    defineOperation(extraStatus, handler);
    expectTypeOf<
      ContractMismatch<typeof extraStatus>
    >().toEqualTypeOf<'declares status 203 that the contract does not'>();
  });

  it('refuses a route that misses a status of the contract', () => {
    // @ts-expect-error the operation answers 200
    defineOperation(missingStatus, handler);
    expectTypeOf<ContractMismatch<typeof missingStatus>>().toEqualTypeOf<'misses status 200 of the contract'>();
  });

  it('refuses a route whose response body differs from the contract', () => {
    // @ts-expect-error the 200 body is an api key, not a created key
    defineOperation(otherBody, handler);
    expectTypeOf<ContractMismatch<typeof otherBody>>().toEqualTypeOf<'response 200 body differs from the contract'>();
  });
});

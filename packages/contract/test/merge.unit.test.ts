import { describe, expect, it } from 'vitest';
import { type DialectSource, MergeError, mergeDialects } from '../scripts/merge.ts';

const source = (name: string, prefix: string, document: Partial<DialectSource['document']>): DialectSource => ({
  name,
  prefix,
  document: { openapi: '3.1.0', info: { title: name, version: '1' }, ...document },
});

const operation = (operationId: string) => ({ operationId, responses: { '200': { description: 'ok' } } });

describe('mergeDialects', () => {
  const base = source('keyplane', 'Keyplane', { servers: [{ url: 'http://127.0.0.1:3000' }], paths: {} });

  it('keeps the base info and servers and marks each operation with its dialect', () => {
    const merged = mergeDialects(base, [
      source('discue', 'Discue', {
        tags: [{ name: 'discue' }],
        paths: { '/v1/api_keys': { get: operation('discueList') } },
        components: { schemas: { DiscueError: { type: 'object' } } },
      }),
    ]);
    expect(merged.info.title).toBe('keyplane');
    expect(merged.servers).toEqual([{ url: 'http://127.0.0.1:3000' }]);
    expect(merged.paths?.['/v1/api_keys']?.get['x-keyplane-dialect']).toBe('discue');
    expect(merged.components?.schemas).toEqual({ DiscueError: { type: 'object' } });
  });

  it('refuses a component without its dialect prefix, so two dialects can never collide', () => {
    expect(() =>
      mergeDialects(base, [source('diga', 'Diga', { components: { schemas: { ErrorResponse: {} } } })]),
    ).toThrow(new MergeError('diga: component schemas/ErrorResponse must start with "Diga"'));
  });

  it('refuses a path or an operationId declared twice', () => {
    const one = source('diga', 'Diga', { paths: { '/x': { get: operation('same') } } });
    const pathAgain = source('kadosei', 'Kadosei', { paths: { '/x': { post: operation('other') } } });
    const idAgain = source('kadosei', 'Kadosei', { paths: { '/y': { get: operation('same') } } });
    expect(() => mergeDialects(base, [one, pathAgain])).toThrow(/path \/x is declared by another dialect/);
    expect(() => mergeDialects(base, [one, idAgain])).toThrow(/operationId same is already used by diga/);
  });

  it('refuses an operation without an operationId and a document that is not OpenAPI 3.1', () => {
    const anonymous = source('diga', 'Diga', { paths: { '/x': { get: { responses: {} } } } });
    expect(() => mergeDialects(base, [anonymous])).toThrow(/GET \/x has no operationId/);
    expect(() => mergeDialects(base, [source('old', 'Old', { openapi: '3.0.3' })])).toThrow(/expected OpenAPI 3.1/);
  });
});

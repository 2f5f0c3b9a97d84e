import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadOpenApiDocument } from '../src/index.js';

const run = promisify(execFile);
type Operation = {
  operationId: string;
  tags: string[];
  responses: Record<string, unknown>;
  'x-keyplane-dialect': string;
};

describe('the merged contract', () => {
  const document = loadOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>> };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );

  it('is OpenAPI 3.1 and holds every dialect’s operations', () => {
    expect(document.openapi).toBe('3.1.0');
    const byDialect = (dialect: string) =>
      operations
        .filter(({ operation }) => operation['x-keyplane-dialect'] === dialect)
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
        .sort();
    expect(byDialect('discue')).toEqual([
      'DELETE /v1/api_keys/{api_key_id}',
      'GET /v1/api_keys',
      'GET /v1/api_keys/{api_key_id}',
      'POST /v1/api_keys',
      'PUT /v1/api_keys/{api_key_id}',
    ]);
    expect(byDialect('aerospike')).toEqual([
      'DELETE /api-keys/{clientId}',
      'GET /api-keys',
      'POST /api-keys',
      'POST /oauth/token',
    ]);
    expect(byDialect('diga')).toEqual([
      'DELETE /v1/api_key/{id}',
      'GET /v1/api_key/',
      'GET /v1/api_key/{id}',
      'PATCH /v1/api_key/{id}',
      'POST /v1/api_key/',
    ]);
    expect(byDialect('kadosei')).toEqual([
      'DELETE /api/v1/applications/{id}/api-keys/{keyId}',
      'GET /api/v1/applications',
      'GET /api/v1/applications/{id}',
      'GET /api/v1/applications/{id}/api-keys',
      'GET /api/v1/applications/{id}/api-keys/{keyId}',
      'POST /api/v1/applications',
      'POST /api/v1/applications/{id}/api-keys',
    ]);
    expect(byDialect('keyplane')).toEqual([
      'DELETE /v1/identities/{identity}',
      'DELETE /v1/keys/{keyId}',
      'DELETE /v1/roles/{role}',
      'GET /healthz',
      'GET /metrics',
      'GET /openapi.json',
      'GET /readyz',
      'GET /v1/audit-events',
      'GET /v1/identities',
      'GET /v1/identities/{identity}',
      'GET /v1/keys',
      'GET /v1/keys/{keyId}',
      'GET /v1/roles',
      'GET /v1/roles/{role}',
      'PATCH /v1/identities/{identity}',
      'PATCH /v1/keys/{keyId}',
      'PATCH /v1/roles/{role}',
      'POST /v1/identities',
      'POST /v1/keys',
      'POST /v1/keys/import',
      'POST /v1/keys/verify',
      'POST /v1/keys/whoami',
      'POST /v1/keys/{keyId}/credits',
      'POST /v1/keys/{keyId}/rotate',
      'POST /v1/organizations',
      'POST /v1/roles',
    ]);
  });

  it('documents each dialect’s published status codes, and the few keyplane adds to every operation', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {});
    // Content negotiation (406), the body limit (413) and rate limits (429) can answer anywhere.
    const withKeyplanes = (published: string[]) =>
      [...new Set([...published, '406', '413', '429'])].sort((a, b) => Number(a) - Number(b));
    const discueErrors = [
      '400',
      '401',
      '402',
      '403',
      '404',
      '405',
      '406',
      '409',
      '415',
      '422',
      '423',
      '429',
      '500',
      '501',
      '503',
    ];
    for (const { path, method, operation } of operations) {
      if (operation['x-keyplane-dialect'] === 'discue')
        expect(statuses(path, method)).toEqual(withKeyplanes(['200', ...discueErrors]));
    }
    expect(statuses('/api-keys/{clientId}', 'delete')).toEqual(withKeyplanes(['204', '401', '403', '404', '500']));
    expect(statuses('/v1/api_key/{id}', 'delete')).toEqual(withKeyplanes(['200', '403', '404', '422', '500']));
    // Kadosei publishes no 500; keyplane documents the one it may give.
    expect(statuses('/api/v1/applications/{id}/api-keys/{keyId}', 'delete')).toEqual(
      withKeyplanes(['200', '400', '401', '403', '404', '500']),
    );
    for (const [path, method] of [
      ['/v1/api_key/', 'get'],
      ['/v1/api_key/', 'post'],
    ] as const) {
      expect(statuses(path, method)).toEqual(withKeyplanes(['200', '403', '422', '500']));
    }
    expect(statuses('/v1/api_key/{id}', 'patch')).toEqual(withKeyplanes(['200', '403', '404', '422', '500']));
    expect(statuses('/api-keys', 'post')).toEqual(withKeyplanes(['201', '400', '401', '403', '500']));
  });

  it('passes Redocly’s recommended ruleset without errors or warnings (one justified exception)', async () => {
    const specFile = fileURLToPath(new URL('../../../spec/openapi.yaml', import.meta.url));
    const { stdout } = await run('redocly', ['lint', specFile, '--format', 'json'], { cwd: process.cwd() });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number } };
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('passes Spectral’s OWASP API Security ruleset, the exceptions justified in .spectral.yaml', async () => {
    const specFile = fileURLToPath(new URL('../../../spec/openapi.yaml', import.meta.url));
    const { stdout } = await run('spectral', ['lint', specFile, '--format', 'json', '--fail-severity', 'hint'], {
      cwd: process.cwd(),
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const findings = JSON.parse(stdout.slice(stdout.indexOf('['), stdout.lastIndexOf(']') + 1)) as {
      code: string;
      path: string[];
    }[];
    expect(findings.map(({ code, path }) => `${code} at ${path.join('/')}`)).toEqual([]);
  });
});

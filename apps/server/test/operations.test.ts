/**
 * What operators run the server by: JSON log lines carrying request and trace ids, the level
 * from the configuration, Prometheus metrics (on a port of their own if asked), readiness beside
 * liveness, the served contract naming the address it was fetched at, and `--help`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@keyplane/core';
import { createTestSchema, databaseUrl } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, traceOf } from '../src/app.js';
import { SETTINGS } from '../src/config.js';
import { type ServerProcess, startServerProcess } from './support/process.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ROOT_KEY = `ops-root-${randomUUID()}`;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** A port nothing listens on now. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('logs, metrics and probes of the server process', () => {
  let dataDir: string;
  let server: ServerProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyplane-ops-'));
    server = await startServerProcess({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_ROOT_KEY: ROOT_KEY,
      KEYPLANE_METRICS_PORT: '0',
      PORT: '0',
    });
    const listening = jsonLines(server.output()).find((line) => line.message === 'keyplane is listening');
    metricsUrl = `http://127.0.0.1:${listening?.metricsPort as number}/metrics`;
  }, 120_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  });

  // With the root key configured nothing goes to stderr: every line of the output is stdout's.
  it('writes JSON lines with the request id, and the trace of a well-formed traceparent only', async () => {
    const traced = await fetch(`${server.url}/healthz`, { headers: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` } });
    const malformed = await fetch(`${server.url}/healthz`, {
      headers: { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` },
    });
    const requestIds = [traced.headers.get('x-request-id'), malformed.headers.get('x-request-id')];
    // The lines are written asynchronously: wait for them, not for a time.
    await expect.poll(() => server.output().includes(requestIds[1] as string), { timeout: 30_000 }).toBe(true);
    const lines = jsonLines(server.output());
    for (const line of lines) expect(line).toMatchObject({ time: expect.any(String), level: expect.any(String) });
    const [first, second] = requestIds.map((id) => lines.find((line) => line.requestId === id));
    expect(first).toMatchObject({
      message: 'request',
      route: '/healthz',
      status: 200,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
    expect(second).toMatchObject({ message: 'request', route: '/healthz', status: 200 });
    expect(second).not.toHaveProperty('traceId');
  });

  it('is live at /healthz and ready at /readyz, with what it checked', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', migrations: 'ok' } });
  });

  it('serves /metrics in the Prometheus text format on the metrics port only', async () => {
    await fetch(`${server.url}/healthz`);
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${ROOT_KEY}` };
    await fetch(`${server.url}/v1/keys/verify`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ key: generateSecret() }),
    });
    await fetch(`${server.url}/v1/api_keys`, { headers: { 'X-API-KEY': 'not a key' } });
    await fetch(`${server.url}/v1/api_keys`);

    const publicly = await fetch(`${server.url}/metrics`);
    expect(publicly.status).toBe(404);
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const expected of [
      'keyplane_http_requests_total{dialect="keyplane",operation="keyplaneHealth",status="200"}',
      'keyplane_http_requests_total{dialect="discue",operation="discueListApiKeys",status="401"}',
      'keyplane_http_request_duration_seconds_bucket{le="0.005",dialect="keyplane",operation="keyplaneHealth"}',
      'keyplane_verifications_total{code="NOT_FOUND"} 1',
      'keyplane_authentication_failures_total{reason="invalid"} 1',
      'keyplane_authentication_failures_total{reason="missing"} 1',
      '# TYPE keyplane_auth_lockout_refusals_total counter',
      '# TYPE keyplane_rate_limit_refusals_total counter',
      'keyplane_key_cache_lookups_total{result="miss"}',
      '# TYPE keyplane_cache_invalidation_fanout_seconds histogram',
      '# TYPE keyplane_store_write_batch_size histogram',
      '# TYPE keyplane_store_pool_connections gauge',
      'process_resident_memory_bytes',
    ]) {
      expect(text, expected).toContain(expected);
    }
  });

  it('names, in the served contract, the address it was fetched at', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(new URL(server.url).port).not.toBe('3000');
    expect(document.servers.map(({ url }) => url)).toEqual([server.url]);
  });
});

describe('a W3C traceparent', () => {
  it('gives its trace and span when well formed, and nothing otherwise', () => {
    expect(traceOf(`00-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID });
    expect(traceOf(`01-${TRACE_ID}-${SPAN_ID}-01-later-fields`)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID });
    for (const malformed of [
      undefined,
      '',
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}`,
    ]) {
      expect(traceOf(malformed), String(malformed)).toBeUndefined();
    }
  });
});

describe('the served contract behind a load balancer', () => {
  const serversOf = async (trustProxy: boolean) => {
    const app = createApp({ keyplane: undefined as never, trustProxy });
    const response = await app.request('http://10.0.0.7:8080/openapi.json', {
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'keys.example.com' },
    });
    return ((await response.json()) as { servers: { url: string }[] }).servers.map(({ url }) => url);
  };

  it('names the forwarded address only when the proxy is trusted', async () => {
    expect(await serversOf(true)).toEqual(['https://keys.example.com']);
    expect(await serversOf(false)).toEqual(['http://10.0.0.7:8080']);
  });
});

describe('the log level from the configuration', () => {
  it('at warn, writes nothing on stdout for a start, requests and a stop', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-ops-'));
    const port = await freePort();
    const quiet = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        KEYPLANE_DATA_DIR: dataDir,
        KEYPLANE_ROOT_KEY: ROOT_KEY,
        KEYPLANE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    quiet.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => quiet.once('exit', resolve));
    try {
      // No line says it listens: wait until it answers.
      await expect
        .poll(
          () =>
            fetch(`http://127.0.0.1:${port}/healthz`).then(
              (r) => r.status,
              () => 0,
            ),
          { timeout: 90_000, interval: 200 },
        )
        .toBe(200);
    } finally {
      quiet.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
    expect(stdout).toBe('');
  }, 120_000);
});

describe('readiness on PostgreSQL and Redis', () => {
  it.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)(
    'checks Redis as well',
    async () => {
      const { schema, drop } = await createTestSchema();
      const url = new URL(databaseUrl());
      url.searchParams.set('options', `-c search_path=${schema}`);
      const server = await startServerProcess({
        DATABASE_URL: url.toString(),
        REDIS_URL: process.env.REDIS_URL as string,
        KEYPLANE_ROOT_KEY: ROOT_KEY,
      });
      try {
        const ready = await fetch(`${server.url}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', migrations: 'ok', redis: 'ok' } });
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metrics).toMatch(/keyplane_store_pool_connections\{state="total"\} [1-9]/);
      } finally {
        expect(await server.stop()).toBe(0);
        await drop();
      }
    },
    120_000,
  );
});

describe('--help', () => {
  it('prints every setting with its default and values, and exits 0', async () => {
    const child = spawn(process.execPath, [MAIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    for (const name of Object.keys(SETTINGS)) expect(stdout).toContain(`  ${name}\n`);
    expect(stdout).toContain('values: integer, 0–65535; default: 3000');
  });
});

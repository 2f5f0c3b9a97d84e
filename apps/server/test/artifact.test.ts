/**
 * The artifact to deploy: `pnpm bundle` makes a folder that runs with `node main.mjs` alone.
 * Built, copied to a fresh folder with no workspace or node_modules anywhere above it, and run
 * there on the embedded store and on PostgreSQL.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestSchema, databaseUrl } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BUNDLE = fileURLToPath(new URL('../scripts/bundle.mjs', import.meta.url));
const ROOT_KEY = `artifact-root-${randomUUID()}`;

let built: string;
let deployed: string;

beforeAll(async () => {
  built = await mkdtemp(join(tmpdir(), 'keyplane-artifact-build-'));
  await promisify(execFile)(process.execPath, [BUNDLE, built]);
  deployed = await mkdtemp(join(tmpdir(), 'keyplane-artifact-'));
  await cp(built, deployed, { recursive: true });
}, 120_000);
afterAll(async () => {
  await rm(built, { recursive: true, force: true });
  await rm(deployed, { recursive: true, force: true });
});

/** `node main.mjs` in the deployed folder, with only the settings given (and PATH). */
async function runDeployed(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, ['main.mjs'], {
    cwd: deployed,
    env: { PATH: process.env.PATH ?? '', PORT: '0', KEYPLANE_ROOT_KEY: ROOT_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no start:\n${output}`)), 90_000);
    child.stdout?.on('data', () => {
      const line = output.split('\n').find((text) => text.includes('"keyplane is listening"'));
      if (!line) return;
      clearTimeout(guard);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    exited.then((code) => {
      clearTimeout(guard);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function createsAKey(url: string) {
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  const created = await fetch(`${url}/v1/api_keys`, {
    method: 'POST',
    headers: { 'X-API-KEY': ROOT_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'from the artifact' }),
  });
  expect(created.status).toBe(200);
  const listed = await fetch(`${url}/v1/api_keys`, { headers: { 'X-API-KEY': ROOT_KEY } });
  expect(JSON.stringify(await listed.json())).toContain('from the artifact');
  const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(document.paths)).toContain('/readyz');
}

describe('the deployable artifact', () => {
  it('is one bundled file with the contract, the embedded store’s WebAssembly and the reference page’s script beside it', async () => {
    expect((await readdir(deployed)).sort()).toEqual([
      'initdb.wasm',
      'main.mjs',
      'openapi.yaml',
      'pglite.data',
      'pglite.wasm',
      'scalar-standalone.js',
    ]);
  });

  it('runs with node alone from a clean folder, on the embedded store', async () => {
    // Its temporary folder and home stay empty: with the store in its volume, a read-only root filesystem serves.
    const scratch = await mkdtemp(join(tmpdir(), 'keyplane-artifact-scratch-'));
    const server = await runDeployed({ KEYPLANE_DATA_DIR: join(deployed, 'data'), TMPDIR: scratch, HOME: scratch });
    try {
      await createsAKey(server.url);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(await readdir(scratch)).toEqual([]);
    await rm(scratch, { recursive: true, force: true });
    // The store's files are in its data folder; nothing else was written beside the artifact.
    expect((await readdir(deployed)).sort()).toEqual([
      'data',
      'initdb.wasm',
      'main.mjs',
      'openapi.yaml',
      'pglite.data',
      'pglite.wasm',
      'scalar-standalone.js',
    ]);
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)(
    'runs with node alone from a clean folder, on PostgreSQL',
    async () => {
      const { schema, drop } = await createTestSchema();
      const url = new URL(databaseUrl());
      url.searchParams.set('options', `-c search_path=${schema}`);
      const server = await runDeployed({ DATABASE_URL: url.toString() });
      try {
        await createsAKey(server.url);
      } finally {
        expect(await server.stop()).toBe(0);
        await drop();
      }
    },
    120_000,
  );
});

/**
 * `pnpm start`, the README's start command, as an operator runs it: the process it starts is
 * the one signalled, stdout holds JSON lines only, and nothing is left running after a stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));
const ROOT_KEY_LINE = /^ {4}(kp_[0-9A-Za-z]+)$/m;

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  /** The server's own process id, from its log line. */
  readonly serverPid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** The test run's environment without the settings a test must choose for itself. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { KEYPLANE_ROOT_KEY: _r, DATABASE_URL: _d, REDIS_URL: _s, KEYPLANE_HASH_SECRET: _h, ...rest } = process.env;
  return { ...rest, PORT: '0', ...extra };
}

/** Runs `pnpm start` at the top of the repository, as the README says, until the server listens. */
async function pnpmStart(env: Record<string, string>): Promise<Started> {
  const child = spawn('pnpm', ['start'], { cwd: REPOSITORY, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    // A guard against a hang only; the start waits for the server's own line, not for a time.
    const guard = setTimeout(() => reject(new Error(`no start:\n${stdout}\n${stderr}`)), 180_000);
    const check = () => {
      const line = stdout.split('\n').find((text) => text.includes('"keyplane is listening"'));
      if (!line) return;
      clearTimeout(guard);
      resolve(JSON.parse(line) as { port: number; pid: number });
    };
    child.stdout?.on('data', check);
    exited.then((code) => {
      clearTimeout(guard);
      reject(new Error(`pnpm start exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    port: listening.port,
    serverPid: listening.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
  };
}

/** Whether anything accepts connections on the port. */
const listens = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('pnpm start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyplane-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it.each([
    ['SIGTERM', true],
    ['SIGINT', false],
  ] as const)(
    'stops on %s sent to the process it starts: drained, exit 0, nothing left listening or running',
    async (signal, fresh) => {
      const started = await pnpmStart({ KEYPLANE_DATA_DIR: dataDir });
      try {
        const health = await fetch(`http://127.0.0.1:${started.port}/healthz`);
        expect(health.status).toBe(200);
        await fetch(`http://127.0.0.1:${started.port}/v1/api_keys`, { headers: { 'X-API-KEY': 'wrong' } });
      } finally {
        started.child.kill(signal);
      }
      expect(await started.exited).toBe(0);
      expect(await listens(started.port)).toBe(false);
      expect(alive(started.serverPid)).toBe(false);

      // stdout holds the server's JSON lines and nothing else: no pnpm banner, no prefixes.
      const lines = jsonLines(started.stdout());
      expect(lines.map((line) => line.message)).toEqual(
        expect.arrayContaining(['keyplane is listening', 'request', 'shutting down', 'stopped']),
      );
      expect(lines.find((line) => line.message === 'shutting down')?.signal).toBe(signal);
      // The generated root key is on stderr only, on the first start of a fresh store.
      const rootKey = ROOT_KEY_LINE.exec(started.stderr())?.[1];
      expect(rootKey !== undefined).toBe(fresh);
      if (rootKey) expect(started.stdout()).not.toContain(rootKey.slice(4, 24));
    },
    240_000,
  );
});

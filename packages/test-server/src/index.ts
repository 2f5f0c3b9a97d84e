/**
 * The built keyplane server (`apps/server/dist/main.js`) as a child process, for the tests of
 * the packages built on it (client, middleware, CLI). It depends on no workspace on purpose:
 * the server's own tests use the client, so a dependency on the server would be a cycle. A
 * package whose tests use this declares `@keyplane/server#build` in its turbo.json instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the built server is, from this file in `src/` or `dist/` alike. */
export const SERVER_MAIN = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));

export interface KeyplaneProcess {
  readonly url: string;
  /** The root credential the server was started with: every permission, may create organizations. */
  readonly rootKey: string;
  /** Everything the process wrote so far, stdout then stderr. */
  output(): string;
  /** Stops the server (SIGTERM), waits for it to exit, removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts the built server on a free port with a fresh data folder and a strong root key, and
 * resolves once it logs that it is listening. The timeout only guards against a hang.
 */
export async function startKeyplane(env: Record<string, string> = {}): Promise<KeyplaneProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-test-'));
  const rootKey = `root_${randomBytes(32).toString('base64url')}`;
  const { DATABASE_URL: _database, REDIS_URL: _redis, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: rootKey, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`keyplane did not start:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { message?: string; port?: number };
          if (entry.message === 'keyplane is listening' && entry.port) {
            clearTimeout(guard);
            resolve(entry.port);
            return;
          }
        } catch {
          // a line still being written
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(guard);
      reject(new Error(`keyplane exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    rootKey,
    output: () => `${stdout}${stderr}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const START_HANG_GUARD_MS = 5 * 60_000;

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process wrote so far, stdout then stderr. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The test run's environment without the settings a test must choose for itself. */
function inheritedEnvironment(): NodeJS.ProcessEnv {
  const {
    KEYPLANE_ROOT_KEY: _root,
    DATABASE_URL: _database,
    KEYPLANE_TOKEN_SIGNING_KEYS: _keys,
    KEYPLANE_HASH_SECRET: _hash,
    REDIS_URL: _redis,
    ...rest
  } = process.env;
  return rest;
}

export interface ProcessOptions {
  /** The file-mode creation mask the server starts with, as a shell's `umask` takes it. */
  readonly umask?: string;
}

/** Runs the built server (`dist/main.js`) as `pnpm start` does, on an ephemeral port. */
export async function startServerProcess(
  env: Record<string, string | undefined>,
  options: ProcessOptions = {},
): Promise<ServerProcess> {
  const environment = { ...inheritedEnvironment(), PORT: '0', ...env };
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  // Node cannot set a child's umask, a shell can; `exec` keeps the server the child that signals reach.
  const child = options.umask
    ? spawn('/bin/sh', ['-c', `umask ${options.umask} && exec "$0" "$1"`, process.execPath, MAIN], {
        env: environment,
        stdio,
      })
    : spawn(process.execPath, [MAIN], { env: environment, stdio });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    // A guard against a hung start only: a busy machine may take long to start a server.
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${stdout}\n${stderr}`)),
      START_HANG_GUARD_MS,
    );
    const check = () => {
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { message: string; port?: number };
        if (entry.message === 'keyplane is listening' && entry.port) {
          clearTimeout(timer);
          resolve(entry.port);
          return;
        }
      }
    };
    child.stdout?.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });

  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => `${stdout}${stderr}`,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs the built server expecting it to refuse to start; returns its exit code and output. */
export function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...inheritedEnvironment(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

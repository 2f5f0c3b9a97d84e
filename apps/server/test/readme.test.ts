import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOpenApiDocument } from '@keyplane/contract';
import { generateSecret } from '@keyplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './support/process.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const MARK = '<!-- tested -->';

/** The shell blocks the README marks as tested, in order. */
function testedBlocks(readme: string): string[] {
  return readme
    .split(MARK)
    .slice(1)
    .map((part) => {
      const block = /^\s*```sh\n([\s\S]*?)\n```/.exec(part);
      if (!block?.[1]) throw new Error(`${MARK} is not followed by a sh block`);
      return block[1];
    });
}

/** Every operation of the contract: its method, and a pattern its paths match. */
const operations = Object.entries(
  (loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths,
).flatMap(([template, item]) =>
  Object.keys(item).map((method) => ({
    operation: `${method.toUpperCase()} ${template}`,
    method: method.toUpperCase(),
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  })),
);

/**
 * Runs a script with bash; every curl it calls goes through a function that logs its method
 * and URL, then runs the real curl.
 */
function runBash(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const CURL_LOG = `
curl() {
  local method=GET url="" previous=""
  for argument in "$@"; do
    case "$previous" in -X) method=$argument ;; -d|--data-urlencode) [ "$method" = GET ] && method=POST ;; esac
    case "$argument" in http://*|https://*) url=$argument ;; esac
    previous=$argument
  done
  case " $* " in *" -fsS "*) ;; *) echo "curl without -fsS: $*" >&2; return 97 ;; esac
  echo "$method $url" >>"$CURL_LOG"
  command curl "$@"
}
`;

describe('the README’s shell examples', () => {
  let server: ServerProcess;
  let folder: string;
  const rootKey = generateSecret();

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'keyplane-readme-'));
    server = await startServerProcess({ KEYPLANE_DATA_DIR: join(folder, 'data'), KEYPLANE_ROOT_KEY: rootKey });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('run from a clean shell, every request answered 2xx, and call every operation of the contract', async () => {
    const blocks = testedBlocks(await readFile(README, 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    const log = join(folder, 'curl.log');
    await writeFile(log, '');
    const script = ['set -euo pipefail', CURL_LOG, ...blocks].join('\n');
    // Only what the README says to set: the server's address and the root key.
    const { code, output } = await runBash(script, { BASE: server.url, ROOT: rootKey, CURL_LOG: log }, folder);
    expect(code, output).toBe(0);

    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => {
        const [method = '', url = ''] = line.split(' ');
        return { method, url: new URL(url) };
      });
    expect(calls.every(({ url }) => url.origin === server.url)).toBe(true);
    const called = new Set(
      calls.flatMap(({ method, url }) =>
        operations
          .filter((operation) => operation.method === method && operation.pattern.test(url.pathname))
          .map(({ operation }) => operation),
      ),
    );
    expect(operations.map(({ operation }) => operation).filter((operation) => !called.has(operation))).toEqual([]);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

/**
 * The contract is checked at compile time across workspaces: on a copy of the
 * repository, a change to the spec, once regenerated, breaks the typecheck of both the
 * server and the client.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const SKIPPED = new Set(['node_modules', 'dist', '.turbo', '.git', 'data', 'coverage']);
const copies: string[] = [];

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

async function copyRepository(): Promise<string> {
  const target = await mkdtemp(join(tmpdir(), 'keyplane-drift-'));
  copies.push(target);
  await cp(repoRoot, target, { recursive: true, filter: (source) => !SKIPPED.has(basename(source)) });
  // Dependencies come from the real install: the shared store is linked, and each
  // workspace's own relative links are copied as they are, so they resolve in the copy.
  await symlink(join(repoRoot, 'node_modules'), join(target, 'node_modules'));
  for (const group of ['apps', 'packages']) {
    for (const workspace of await readdir(join(repoRoot, group))) {
      await cp(join(repoRoot, group, workspace, 'node_modules'), join(target, group, workspace, 'node_modules'), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
  }
  return target;
}

// biome-ignore lint/suspicious/noExplicitAny: the test edits a parsed YAML document of any shape.
async function editDiscueSpec(root: string, edit: (spec: Record<string, any>) => void) {
  const file = join(root, 'spec', 'dialects', 'discue.yaml');
  const spec = parse(await readFile(file, 'utf8'));
  edit(spec);
  await writeFile(file, stringify(spec));
  const generated = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/generate.ts'],
    join(root, 'packages', 'contract'),
  );
  expect(generated.code, generated.output).toBe(0);
}

const typecheck = (root: string, workspace: string) =>
  run(process.execPath, [tsc, '--noEmit', '-p', join(root, workspace)], root);

afterAll(() => Promise.all(copies.map((copy) => rm(copy, { recursive: true, force: true }))));

describe('contract drift', () => {
  it('typechecks an unchanged copy, so the failures below come from the change alone', async () => {
    const root = await copyRepository();
    const [server, client] = await Promise.all([typecheck(root, 'apps/server'), typecheck(root, 'packages/client')]);
    expect(server.output).toBe('');
    expect(client.output).toBe('');
  });

  it('renaming a path parameter breaks the server and the client', async () => {
    const root = await copyRepository();
    await editDiscueSpec(root, (spec) => {
      spec.components.parameters.DiscueApiKeyId.name = 'api_key_ref';
      spec.paths = Object.fromEntries(
        Object.entries(spec.paths).map(([path, item]) => [path.replace('{api_key_id}', '{api_key_ref}'), item]),
      );
    });
    const [server, client] = await Promise.all([typecheck(root, 'apps/server'), typecheck(root, 'packages/client')]);
    expect(server.code).not.toBe(0);
    expect(server.output).toMatch(
      /src\/routes\/discue\/(get|update|delete)-api-key\.ts.*is not an operation of the contract/s,
    );
    expect(client.code).not.toBe(0);
    expect(client.output).toMatch(/src\/dialects\.ts.*api_key_id/s);
  });

  it('renaming a response field breaks the server and the client', async () => {
    const root = await copyRepository();
    await editDiscueSpec(root, (spec) => {
      const created = spec.components.schemas.DiscueApiKeyCreated;
      created.properties.secret = created.properties.api_key;
      delete created.properties.api_key;
      created.required = created.required.map((name: string) => (name === 'api_key' ? 'secret' : name));
    });
    const [server, client] = await Promise.all([typecheck(root, 'apps/server'), typecheck(root, 'packages/client')]);
    expect(server.code).not.toBe(0);
    expect(server.output).toMatch(
      /src\/routes\/discue\/create-api-key\.ts.*response 200 body differs from the contract/s,
    );
    expect(client.code).not.toBe(0);
    expect(client.output).toMatch(/src\/dialects\.ts.*api_key/s);
  });
});

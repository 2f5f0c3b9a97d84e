/** The middleware as people install it: a tarball npm would publish, naming the client by version. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let work: string | undefined;

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('packs into a tarball that passes npm publish --dry-run', async () => {
  work = await mkdtemp(join(tmpdir(), 'keyplane-hono-package-'));
  await run('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir });
  const tarball = join(work, (await readdir(work)).find((name) => name.endsWith('.tgz')) ?? 'missing.tgz');
  const { stdout } = await run('tar', ['-tzf', tarball]);
  expect(stdout.split('\n').filter(Boolean).sort()).toEqual(
    expect.arrayContaining([
      'package/LICENSE',
      'package/README.md',
      'package/dist/index.d.ts',
      'package/dist/index.js',
    ]),
  );
  expect(stdout).not.toContain('package/src/');

  await run('tar', ['-xzf', tarball, '-C', work]);
  const manifest = JSON.parse(await readFile(join(work, 'package/package.json'), 'utf8'));
  expect(manifest.private).toBeUndefined();
  expect(manifest).toMatchObject({ name: '@keyplane/hono', license: 'MIT', peerDependencies: { hono: '^4.6.0' } });
  const client = JSON.parse(await readFile(join(packageDir, '../client/package.json'), 'utf8'));
  expect(manifest.dependencies).toEqual({ '@keyplane/client': client.version });

  const { stdout: published, stderr } = await run('npm', ['publish', '--dry-run', tarball], { cwd: work });
  expect(`${published}${stderr}`).toContain('@keyplane/hono@0.1.0');
}, 120_000);

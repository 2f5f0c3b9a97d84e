/**
 * The client as people install it: packed into a tarball, published (dry run), installed into a
 * project outside the workspace, type-checked there under `nodenext` and `bundler` resolution,
 * run in Node against a real keyplane server, and bundled for a browser, whose gzipped size is
 * held within twice openapi-fetch's own.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type KeyplaneProcess, startKeyplane } from '@keyplane/test-server';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const consumerSources = fileURLToPath(new URL('consumer/', import.meta.url));
/** Hang guards only: npm and tsc take what they take. */
const SLOW = 300_000;

let server: KeyplaneProcess;
let work: string;
let tarball: string;
let project: string;

/** Runs a command; resolves with its exit code and output instead of throwing on failure. */
async function attempt(file: string, args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

async function tsc(config: string) {
  return attempt(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', config], project);
}

beforeAll(async () => {
  [server, work] = await Promise.all([startKeyplane(), mkdtemp(join(tmpdir(), 'keyplane-client-package-'))]);
  await run('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir });
  const packed = (await readdir(work)).find((name) => name.endsWith('.tgz'));
  if (!packed) throw new Error('pnpm pack wrote no tarball');
  tarball = join(work, packed);

  project = join(work, 'consumer');
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  // npm, not pnpm, without a lockfile: what a stranger to the workspace does.
  await run(
    'npm',
    [
      'install',
      '--no-package-lock',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      'typescript@5.9',
      '@types/node@20',
    ],
    { cwd: project, maxBuffer: 64 * 1024 * 1024 },
  );
  for (const file of ['check.ts', 'main.ts', 'misuse.ts']) {
    await copyFile(join(consumerSources, file), join(project, 'src', file));
  }
  const strict = { strict: true, skipLibCheck: false, target: 'ES2022', noEmit: true };
  await writeFile(
    join(project, 'tsconfig.nodenext.json'),
    JSON.stringify({
      compilerOptions: {
        ...strict,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2022'],
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  await writeFile(
    join(project, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      files: ['src/check.ts', 'src/misuse.ts'],
    }),
  );
  // Checked strictly above; these two only compile, or prove errors.
  const quick = { ...strict, skipLibCheck: true, module: 'nodenext', types: ['node'] };
  await writeFile(
    join(project, 'tsconfig.build.json'),
    JSON.stringify({ compilerOptions: { ...quick, noEmit: false, outDir: 'dist' }, files: ['src/main.ts'] }),
  );
  await writeFile(
    join(project, 'tsconfig.misuse.json'),
    JSON.stringify({ compilerOptions: quick, files: ['src/misuse.ts'] }),
  );
}, SLOW);

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('holds its build, README and licence, and nothing that needs the workspace', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/README.md',
        'package/LICENSE',
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/dist/generated/openapi.d.ts',
      ]),
    );
    expect(files.filter((file) => file.startsWith('package/src/') || file.startsWith('package/test/'))).toEqual([]);

    await run('tar', ['-xzf', tarball, '-C', work]);
    const manifest = JSON.parse(await readFile(join(work, 'package/package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@keyplane/client', license: 'MIT', sideEffects: false });
    expect(manifest.private).toBeUndefined();
    expect(manifest.repository).toMatchObject({ type: 'git', directory: 'packages/client' });
    expect(manifest.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(Object.keys(manifest.dependencies)).toEqual(['openapi-fetch']);
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    for (const file of files.filter((name) => /\.(js|d\.ts)$/.test(name))) {
      expect(await readFile(join(work, file), 'utf8'), file).not.toContain('@keyplane/contract');
    }
  });

  it(
    'passes npm publish --dry-run',
    async () => {
      const published = await attempt('npm', ['publish', '--dry-run', tarball], work);
      expect(published.output).toContain('@keyplane/client@0.1.0');
      expect(published.code, published.output).toBe(0);
    },
    SLOW,
  );

  it(
    'type-checks in a project outside the workspace under nodenext and under bundler resolution',
    async () => {
      const [nodenext, bundler] = await Promise.all([tsc('tsconfig.nodenext.json'), tsc('tsconfig.bundler.json')]);
      expect(nodenext.output).toBe('');
      expect(nodenext.code).toBe(0);
      expect(bundler.output).toBe('');
      expect(bundler.code).toBe(0);
    },
    SLOW,
  );

  it(
    'refuses, at compile time there too, the calls the contract does not allow',
    async () => {
      // Without their @ts-expect-error directives, the misuses are errors; with them, the check passes
      // (an unused directive is itself an error, so each misuse is proven to be one).
      const misuse = await readFile(join(project, 'src/misuse.ts'), 'utf8');
      await writeFile(join(project, 'src/misuse.ts'), misuse.replaceAll('// @ts-expect-error', '//'));
      try {
        const failed = await tsc('tsconfig.misuse.json');
        expect(failed.code).not.toBe(0);
        expect(failed.output.match(/src\/misuse\.ts\(\d+,\d+\): error/g)).toHaveLength(3);
      } finally {
        await writeFile(join(project, 'src/misuse.ts'), misuse);
      }
    },
    SLOW,
  );

  it(
    'runs in Node against a real keyplane server, through every dialect',
    async () => {
      const built = await tsc('tsconfig.build.json');
      expect(built.output).toBe('');
      const { stdout } = await run(process.execPath, ['dist/main.js', server.url, server.rootKey], { cwd: project });
      expect(JSON.parse(stdout)).toEqual({
        dialects: ['aerospike', 'diga', 'discue', 'kadosei', 'keyplane'],
        applicationIsDefault: true,
        digaPermissions: ['calls.view'],
        tokenType: 'Bearer',
        verified: 'VALID',
        afterDelete: 'NOT_FOUND',
        missingStatus: 404,
        auditEvents: 5,
      });
    },
    SLOW,
  );

  it(
    'bundles for a browser within twice the gzipped size of openapi-fetch alone',
    async () => {
      await writeFile(join(project, 'src/client-entry.js'), "export * from '@keyplane/client';\n");
      await writeFile(join(project, 'src/baseline-entry.js'), "export { default } from 'openapi-fetch';\n");
      const gzipped = async (entry: string) => {
        const result = await build({
          absWorkingDir: project,
          entryPoints: [entry],
          bundle: true,
          minify: true,
          format: 'esm',
          platform: 'browser',
          target: 'es2022',
          write: false,
          logLevel: 'silent',
        });
        const [output] = result.outputFiles;
        if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
        return { text: output.text, gzip: gzipSync(output.contents, { level: 9 }).length };
      };
      const program = await gzipped('src/check.ts');
      expect(program.text).not.toMatch(/from\s*["']node:/);
      const client = await gzipped('src/client-entry.js');
      const baseline = await gzipped('src/baseline-entry.js');
      console.info(`gzipped: @keyplane/client ${client.gzip} B, openapi-fetch alone ${baseline.gzip} B`);
      expect(client.gzip).toBeGreaterThan(baseline.gzip);
      expect(client.gzip).toBeLessThanOrEqual(2 * baseline.gzip);
    },
    SLOW,
  );
});

/**
 * The artifact to deploy: `dist-bundle/`, a folder that runs with `node main.mjs` alone, with
 * no workspace and no node_modules around it. It holds the server bundled into one file from
 * the workspaces' TypeScript sources, the merged contract it serves, and the WebAssembly files
 * of the embedded store, which PGlite loads from beside its own module (here, the bundle), and the
 * browser bundle of the API reference that /docs serves.
 */
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const server = fileURLToPath(new URL('..', import.meta.url));
/** `dist-bundle/`, or the folder named by the first argument. */
const out = resolve(process.argv[2] ?? join(server, 'dist-bundle'));
const contractSource = fileURLToPath(new URL('../../../packages/contract/src/index.ts', import.meta.url));
/** Where the contract finds the merged document in the repository, and in the artifact. */
const IN_REPOSITORY = "'../../../spec/openapi.yaml'";
const IN_ARTIFACT = "'./openapi.yaml'";

/** The contract reads the merged document from the repository; in the artifact it lies beside the bundle. */
const contractBesideBundle = {
  name: 'contract-beside-bundle',
  setup(builder) {
    builder.onLoad({ filter: /packages[\\/]contract[\\/]src[\\/]index\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes(IN_REPOSITORY)) throw new Error(`${path} no longer reads ${IN_REPOSITORY}`);
      return { contents: source.replace(IN_REPOSITORY, IN_ARTIFACT), loader: 'ts' };
    });
  },
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(server, 'src/main.ts')],
  outfile: join(out, 'main.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // The workspaces' own sources, as the tests use them: no compiled dist/ is needed.
  conditions: ['@keyplane/source'],
  // pg's optional native driver, which pg loads only when asked to (and catches its absence).
  external: ['pg-native'],
  // The CommonJS dependencies (pg, ioredis, pino) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [contractBesideBundle],
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(
  fileURLToPath(new URL(IN_REPOSITORY.slice(1, -1), new URL(`file://${contractSource}`))),
  join(out, 'openapi.yaml'),
);
const pglite = dirname(
  createRequire(join(server, '../../packages/store/package.json')).resolve('@electric-sql/pglite'),
);
for (const file of ['pglite.wasm', 'pglite.data', 'initdb.wasm']) await copyFile(join(pglite, file), join(out, file));
// The API reference's browser bundle, which /docs serves; the server reads it from beside itself.
const scalar = dirname(createRequire(join(server, 'package.json')).resolve('@scalar/api-reference'));
await copyFile(join(scalar, 'browser', 'standalone.js'), join(out, 'scalar-standalone.js'));
process.stderr.write(`built ${out}\n`);

import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { groupCommits } from './group-commit.js';
import type { SqlDatabase, SqlExecutor } from './sql.js';

function executor(db: Pick<PGlite, 'query' | 'exec'>): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
  };
}

/** The part of PGlite's Emscripten module that sets the modes of files on disk. */
interface EmscriptenNodeFs {
  readonly NODEFS: { node_ops: { setattr(node: unknown, attr: { mode?: number }): void } };
}

const GROUP_AND_OTHERS = 0o077;

/**
 * The data folder as PGlite's Node file system, but no file or folder in it is ever given
 * permissions for group or others. Emscripten applies a umask of its own (022), not the
 * process's, and then sets each new file's mode explicitly (initdb's files to 0666), so the
 * process umask alone cannot keep them private.
 */
class PrivateNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]) {
    const { emscriptenOpts } = await super.init(pg, opts);
    const keepModesPrivate = (module: unknown) => {
      const ops = (module as EmscriptenNodeFs).NODEFS.node_ops;
      const setattr = ops.setattr;
      ops.setattr = (node, attr) =>
        setattr(
          node,
          attr.mode === undefined || attr.mode === null ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHERS },
        );
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), keepModesPrivate] } };
  }
}

/**
 * PostgreSQL's memory settings, given on every start rather than written to the store's
 * postgresql.conf, so that stores created by any version open with them. Its defaults size it
 * for a server of its own (128 MB of shared buffers alone), and PGlite's WebAssembly memory
 * only ever grows: what the engine touches once stays resident for the life of the process.
 * Pages beyond the buffers are read back from the operating system's file cache; an index
 * built by a migration over a large table sorts through temporary files instead of memory.
 * Neither changes what a commit writes before it is acknowledged.
 */
const MEMORY_SETTINGS = { shared_buffers: '16MB', maintenance_work_mem: '16MB' };

const startParams = [
  ...PGlite.defaultStartParams,
  ...Object.entries(MEMORY_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

function sqlDatabase(db: PGlite): SqlDatabase {
  return {
    ...executor(db),
    transaction: groupCommits((work) => db.transaction((tx) => work(executor(tx)))),
    close: () => db.close(),
  };
}

/** PostgreSQL compiled to WebAssembly, in this process: on disk in `dataDir`, or in memory. */
export async function openPglite(dataDir?: string): Promise<SqlDatabase> {
  return sqlDatabase(await PGlite.create(dataDir ? { fs: new PrivateNodeFS(dataDir), startParams } : { startParams }));
}

/**
 * A new in-memory database, prepared by `prepare`, as the image (an uncompressed tarball)
 * of its data folder: `openPgliteImage` starts copies of it without running initdb again.
 */
export async function pgliteImage(prepare: (db: SqlDatabase) => Promise<unknown>): Promise<Blob> {
  const db = await PGlite.create({ startParams });
  try {
    await prepare(sqlDatabase(db));
    return await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
}

/** An in-memory database of its own, started from a copy of `image`. */
export async function openPgliteImage(image: Blob): Promise<SqlDatabase> {
  return sqlDatabase(await PGlite.create({ loadDataDir: image, startParams }));
}

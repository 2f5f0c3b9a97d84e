import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
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

/** PostgreSQL compiled to WebAssembly, in this process: on disk in `dataDir`, or in memory. */
export async function openPglite(dataDir?: string): Promise<SqlDatabase> {
  const db = await PGlite.create(dataDir ? { fs: new PrivateNodeFS(dataDir) } : {});
  return {
    ...executor(db),
    transaction: (work) => db.transaction((tx) => work(executor(tx))),
    close: () => db.close(),
  };
}

import type { SqlExecutor } from './sql.js';

type Transaction = <T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

interface Pending {
  readonly work: (tx: SqlExecutor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** A work's own failure, told apart from a failure of the transaction around it. */
class WorkFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Transactions grouped: those that arrive while one commits share the next commit. Each is
 * answered only once the commit holding it is done, so every acknowledged write is as durable
 * as before; concurrent writers just share a commit. The works of a batch run one after another
 * with nothing between them, one exchange with the engine each; should one of them fail, the
 * batch is undone and each of its works runs again in a transaction of its own, so that one
 * that fails undoes only itself. Works fail rarely (a refusal is an answer, not an error), so
 * a batch almost always costs one commit and nothing more.
 */
export function groupCommits(transaction: Transaction, onCommit?: (size: number) => void): Transaction {
  let queue: Pending[] = [];
  let committing = false;

  /** Runs `batch` in one transaction; false when one of its works failed and nothing was kept. */
  async function commitTogether(batch: Pending[]): Promise<boolean> {
    let values: unknown[];
    try {
      values = await transaction(async (tx) => {
        const done: unknown[] = [];
        for (const { work } of batch) {
          try {
            done.push(await work(tx));
          } catch (error) {
            throw new WorkFailed(error);
          }
        }
        return done;
      });
    } catch (error) {
      if (error instanceof WorkFailed && batch.length > 1) return false;
      // The commit itself failed, or the only work did: nothing of the batch was written.
      const reason = error instanceof WorkFailed ? error.error : error;
      for (const { reject } of batch) reject(reason);
      return true;
    }
    onCommit?.(batch.length);
    for (const [index, { resolve }] of batch.entries()) resolve(values[index]);
    return true;
  }

  async function commitQueued(): Promise<void> {
    committing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      if (await commitTogether(batch)) continue;
      for (const pending of batch) await commitTogether([pending]);
    }
    committing = false;
  }

  return <T>(work: (tx: SqlExecutor) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!committing) void commitQueued();
    });
}

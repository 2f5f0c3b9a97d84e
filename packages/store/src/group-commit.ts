import type { SqlExecutor } from './sql.js';

type Transaction = <T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

interface Pending {
  readonly work: (tx: SqlExecutor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Transactions of a single-connection engine (PGlite), grouped: those that arrive while one
 * commits share the next commit, each in a savepoint of its own, so that one that fails
 * undoes only itself. Each is answered only once the commit holding it is done, so every
 * acknowledged write is as durable as before; concurrent writers just share a commit.
 */
export function groupCommits(transaction: Transaction, onCommit?: (size: number) => void): Transaction {
  let queue: Pending[] = [];
  let committing = false;

  async function commitQueued(): Promise<void> {
    committing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      try {
        await transaction(async (tx) => {
          if (batch.length === 1) {
            outcomes.push({ ok: true, value: await (batch[0] as Pending).work(tx) });
            return;
          }
          for (const { work } of batch) {
            await tx.exec('savepoint grouped_write');
            try {
              const value = await work(tx);
              await tx.exec('release savepoint grouped_write');
              outcomes.push({ ok: true, value });
            } catch (error) {
              await tx.exec('rollback to savepoint grouped_write');
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // The commit itself failed (or the only work did): nothing of the batch was written.
        for (const { reject } of batch) reject(error);
        continue;
      }
      onCommit?.(batch.length);
      batch.forEach(({ resolve, reject }, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok) resolve(outcome.value);
        else reject(outcome?.error);
      });
    }
    committing = false;
  }

  return <T>(work: (tx: SqlExecutor) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!committing) void commitQueued();
    });
}

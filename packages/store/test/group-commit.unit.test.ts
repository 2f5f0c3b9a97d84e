import { describe, expect, it } from 'vitest';
import { groupCommits } from '../src/group-commit.js';
import type { SqlExecutor } from '../src/sql.js';

/** A transaction that writes down what happens in it, committing after a turn of the event loop. */
function recordingTransactions() {
  const log: string[] = [];
  const transaction = async <T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    log.push('begin');
    const tx: SqlExecutor = {
      async query<Row>(text: string) {
        log.push(text);
        return [] as Row[];
      },
      async exec(script: string) {
        log.push(script);
      },
    };
    try {
      const value = await work(tx);
      await new Promise((resolve) => setImmediate(resolve));
      log.push('commit');
      return value;
    } catch (error) {
      log.push('rollback');
      throw error;
    }
  };
  return { log, transaction };
}

describe('grouped commits', () => {
  it('lets writes that arrive while one commits share the next commit', async () => {
    const { log, transaction } = recordingTransactions();
    const sizes: number[] = [];
    const grouped = groupCommits(transaction, (size) => sizes.push(size));
    const writes = Array.from({ length: 10 }, (_, index) =>
      grouped(async (tx) => {
        await tx.query(`insert ${index}`);
        return index;
      }),
    );
    expect(await Promise.all(writes)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(10);
    expect(sizes).toEqual([1, 9]);
    expect(log.filter((entry) => entry === 'commit')).toHaveLength(2);
  });

  it('undoes only the write that failed, running its batch again one by one, and answers each after its commit', async () => {
    const { log, transaction } = recordingTransactions();
    const grouped = groupCommits(transaction);
    const answered: string[] = [];
    const first = grouped(async (tx) => tx.query('insert first'));
    const writes = ['a', 'b', 'c'].map((name) =>
      grouped(async (tx) => {
        await tx.query(`insert ${name}`);
        if (name === 'b') throw new Error('b is refused');
        return name;
      }).then(
        (value) => answered.push(`${value} after ${log.filter((entry) => entry === 'commit').length} commits`),
        (error: Error) => answered.push(error.message),
      ),
    );
    await first;
    await Promise.all(writes);
    // The batch of a, b and c was undone; each then ran alone: a and c committed, b undone.
    expect(answered.sort()).toEqual(['a after 2 commits', 'b is refused', 'c after 3 commits']);
    expect(log).toEqual([
      ...['begin', 'insert first', 'commit'],
      ...['begin', 'insert a', 'insert b', 'rollback'],
      ...['begin', 'insert a', 'commit'],
      ...['begin', 'insert b', 'rollback'],
      ...['begin', 'insert c', 'commit'],
    ]);
  });

  it('fails every write of a batch whose commit fails', async () => {
    const grouped = groupCommits(async () => {
      throw new Error('the disk is full');
    });
    const results = await Promise.allSettled([grouped(async () => 1), grouped(async () => 2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});

import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './sql.js';

export interface PostgresOptions {
  readonly connectionString: string;
  /** Most connections this instance opens. */
  readonly poolSize?: number;
  /** Given a way to read the pool's use (connections open, idle, and requests waiting for one). */
  readonly onPool?: (use: () => { total: number; idle: number; waiting: number }) => void;
  /** Longest a statement may run, in milliseconds. */
  readonly statementTimeoutMs?: number;
  /** Tables live in this schema (tests give each run its own). */
  readonly schema?: string;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

// timestamptz and jsonb come back as Date and objects, as they do from PGlite.
const executor = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
  async query<Row>(text: string, params: readonly unknown[] = []) {
    const result = await client.query(text, params as unknown[]);
    return result.rows as Row[];
  },
  async exec(script: string) {
    await client.query(script);
  },
});

/** Where a connection string points, without its password, for error messages. */
function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * A pool of connections to a PostgreSQL server (or a PostgreSQL-compatible engine).
 * Fails at once, with the reason, when the server cannot be reached or refuses us.
 */
export async function openPostgres(options: PostgresOptions): Promise<SqlDatabase> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle connection the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  options.onPool?.(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(`cannot use PostgreSQL at ${describeTarget(options.connectionString)}: ${reason}`);
  }
  async function transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let result: T;
    try {
      await client.query('begin');
      result = await work(executor(client));
      await client.query('commit');
    } catch (error) {
      // A connection whose rollback failed is closed, never handed out again mid-transaction.
      const rolledBack = await client.query('rollback').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
      throw error;
    }
    client.release();
    return result;
  }
  return {
    ...executor(pool),
    // Each transaction on a connection of its own: grouping several organizations' writes in
    // one would take their row locks in arrival order, and two instances could deadlock.
    transaction,
    close: () => pool.end(),
  };
}

import {
  type Compilable,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  sql,
} from 'kysely';
import type { Database, JsonbParameter } from './schema.js';
import type { SqlExecutor } from './sql.js';

/**
 * Builds and compiles queries against the declared schema, and never runs one: the
 * executors (PGlite's, pg's) run the compiled text and parameters, in their transactions.
 */
export const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** Runs a built query on `executor`; its rows are typed as the query selects or returns them. */
export async function run<Row>(executor: SqlExecutor, query: Compilable<Row>): Promise<Row[]> {
  const { sql: text, parameters } = query.compile();
  return executor.query<Row>(text, parameters);
}

/** The first row of a built query, or undefined. */
export async function first<Row>(executor: SqlExecutor, query: Compilable<Row>): Promise<Row | undefined> {
  const [row] = await run(executor, query);
  return row;
}

/** A jsonb parameter: the value's JSON text, cast to jsonb. */
export const jsonb = <T>(value: T): RawBuilder<JsonbParameter<T>> =>
  sql<JsonbParameter<T>>`${JSON.stringify(value)}::jsonb`;

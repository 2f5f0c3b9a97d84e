import { sql } from 'kysely';
import { builder, run } from '../query.js';
import type { SqlExecutor } from '../sql.js';

/** Holds (or renews) an instance's lease for `leaseMs` from now, by the database's clock. */
export async function renewLease(executor: SqlExecutor, id: string, leaseMs: number): Promise<void> {
  const leaseUntil = sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`;
  await run(
    executor,
    builder
      .insertInto('keyplane_instances')
      .values({ id, lease_until: leaseUntil })
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ lease_until: leaseUntil })),
  );
}

/** The other instances whose lease still runs, and how many milliseconds it has left. */
export function liveInstances(executor: SqlExecutor, except: string) {
  return run(
    executor,
    builder
      .selectFrom('keyplane_instances')
      .select(['id', sql<number>`extract(epoch from lease_until - now()) * 1000`.as('remaining_ms')])
      .where('lease_until', '>', sql<Date>`now()`)
      .where('id', '<>', except),
  );
}

/** An instance that leaves: writers no longer wait for it. */
export async function releaseLease(executor: SqlExecutor, id: string): Promise<void> {
  await run(executor, builder.deleteFrom('keyplane_instances').where('id', '=', id));
}

import { type RateLimitOutcome, type RateLimitState, type RateLimitTake, windowOf } from '@keyplane/core';
import type { SqlDatabase, SqlExecutor } from '../sql.js';

/**
 * Whether the stored window `w` is the one to count in: the take's own, or the next one (another
 * instance's clock a little ahead). One older, or further ahead than a window (a clock far off),
 * gives way to the take's own, so that no instance's clock can hold a limit shut.
 */
const SAME_WINDOW = `(w.window_start >= excluded.window_start and w.window_start <= excluded.window_start + $6)`;

/**
 * Counts one take in its window, in one statement, when it stays within its limit. The window
 * as counted; none when the take would pass its limit.
 */
async function count(executor: SqlExecutor, take: RateLimitTake, now: number) {
  const [row] = await executor.query<{ used: number; window_start: number }>(
    `insert into rate_limit_windows as w (subject, name, window_start, used) values ($1, $2, $3, $4)
     on conflict (subject, name) do update
       set used = case when ${SAME_WINDOW} then w.used + excluded.used else excluded.used end,
           window_start = case when ${SAME_WINDOW} then w.window_start else excluded.window_start end
       where (case when ${SAME_WINDOW} then w.used else 0 end) + excluded.used <= $5
     returning used::float8 as used, window_start::float8 as window_start`,
    [take.subject, take.name, windowOf(take.durationMs, now).start, take.cost, take.limit, take.durationMs],
  );
  return row;
}

/** The windows of `takes` as they stand, without counting anything. */
async function standing(executor: SqlExecutor, takes: readonly RateLimitTake[], now: number) {
  const rows = await executor.query<{ subject: string; name: string; used: number; window_start: number }>(
    `select subject, name, used::float8 as used, window_start::float8 as window_start from rate_limit_windows
     where (subject, name) in (select * from unnest($1::text[], $2::text[]))`,
    [takes.map((take) => take.subject), takes.map((take) => take.name)],
  );
  return takes.map((take) => {
    const window = windowOf(take.durationMs, now);
    const row = rows.find((found) => found.subject === take.subject && found.name === take.name);
    return row && row.window_start >= window.start && row.window_start <= window.start + take.durationMs
      ? { used: row.used, start: row.window_start }
      : { used: 0, start: window.start };
  });
}

class Exceeded extends Error {}

/**
 * Counts every take or none. One take is one statement; several are counted in one transaction
 * in a fixed order (so that two never wait on each other's rows), rolled back when any would
 * pass its limit. A refusal answers the windows as they stand.
 */
export async function takeRateLimits(
  db: SqlDatabase,
  takes: readonly RateLimitTake[],
  at: Date,
): Promise<RateLimitOutcome> {
  const now = at.getTime();
  const state = (take: RateLimitTake, used: number, start: number, exceeded: boolean): RateLimitState => ({
    name: take.name,
    limit: take.limit,
    remaining: Math.max(0, take.limit - used),
    reset: start + take.durationMs,
    exceeded,
  });
  if (takes.length === 0) return { admitted: true, states: [] };
  // The take that refused, when one did: the windows read afterwards may have moved on since.
  let refusedBy = takes.findIndex((take) => take.cost > take.limit);
  if (refusedBy === -1) {
    try {
      const counted =
        takes.length === 1
          ? [await count(db, takes[0] as RateLimitTake, now)]
          : await db.transaction(async (tx) => {
              const rows: { used: number; window_start: number }[] = [];
              for (const index of lockOrder(takes)) {
                const row = await count(tx, takes[index] as RateLimitTake, now);
                if (!row) {
                  refusedBy = index;
                  throw new Exceeded();
                }
                rows[index] = row;
              }
              return rows;
            });
      if (counted[0] === undefined) refusedBy = 0;
      if (counted.every((row) => row !== undefined)) {
        return {
          admitted: true,
          states: takes.map((take, index) => {
            const row = counted[index] as { used: number; window_start: number };
            return state(take, row.used, row.window_start, false);
          }),
        };
      }
    } catch (error) {
      if (!(error instanceof Exceeded)) throw error;
    }
  }
  const windows = await standing(db, takes, now);
  return {
    admitted: false,
    states: takes.map((take, index) => {
      const { used, start } = windows[index] as { used: number; start: number };
      return state(take, used, start, index === refusedBy || used + take.cost > take.limit);
    }),
  };
}

/**
 * The order several takes lock their rows in, the same on every instance whatever its locale
 * (code units, not collation): keys' rows (`key:`) before identities' (`identity:`), so that a
 * busy identity's row is held for the shortest time.
 */
function lockOrder(takes: readonly RateLimitTake[]): number[] {
  const orderOf = (index: number) => `${takes[index]?.subject}\u0000${takes[index]?.name}`;
  return [...takes.keys()].sort((a, b) => (orderOf(a) < orderOf(b) ? 1 : orderOf(a) > orderOf(b) ? -1 : 0));
}

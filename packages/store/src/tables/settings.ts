import { builder, first, run } from '../query.js';
import type { SqlExecutor } from '../sql.js';

/** Stores `value` under `name` unless a value is there; returns the value that is now stored. */
export async function putSettingIfAbsent(executor: SqlExecutor, name: string, value: string): Promise<string> {
  await run(
    executor,
    builder
      .insertInto('settings')
      .values({ name, value })
      .onConflict((conflict) => conflict.column('name').doNothing()),
  );
  const row = await first(executor, builder.selectFrom('settings').select('value').where('name', '=', name));
  return (row as { value: string }).value;
}

export async function findSetting(executor: SqlExecutor, name: string): Promise<string | null> {
  const row = await first(executor, builder.selectFrom('settings').select('value').where('name', '=', name));
  return row?.value ?? null;
}

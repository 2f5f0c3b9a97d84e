import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openPglite, type SqlDatabase } from '../src/index.js';

const opened: SqlDatabase[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A setting in effect, in megabytes (PostgreSQL shows memory as `16MB`, `512kB` or `1GB`). */
async function megabytes(db: SqlDatabase, setting: string): Promise<number> {
  const [row] = await db.query<Record<string, string>>(`show ${setting}`);
  const match = /^(\d+)\s*(kB|MB|GB)$/.exec(Object.values(row ?? {})[0] ?? '');
  if (!match) throw new Error(`${setting} is not shown as an amount of memory: ${JSON.stringify(row)}`);
  return Number(match[1]) * { kB: 1 / 1024, MB: 1, GB: 1024 }[match[2] as 'kB' | 'MB' | 'GB'];
}

// The embedded server's memory is mostly the engine's, and its WebAssembly memory never
// shrinks: these bound what PostgreSQL may claim, on a store reopened from disk as the server does.
describe('the embedded engine, reopened from its folder', () => {
  it("keeps PostgreSQL's shared memory and its memory for maintenance small", async () => {
    const folder = await mkdtemp(join(tmpdir(), 'keyplane-memory-'));
    folders.push(folder);
    const created = await openPglite(folder);
    await migrate(created);
    await created.close();

    const db = await openPglite(folder);
    opened.push(db);
    expect(await megabytes(db, 'shared_buffers')).toBeLessThanOrEqual(16);
    // Every shared structure together: the buffers, the lock tables, the WAL buffers.
    expect(await megabytes(db, 'shared_memory_size')).toBeLessThanOrEqual(32);
    expect(await megabytes(db, 'maintenance_work_mem')).toBeLessThanOrEqual(16);
  });
});

import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../src/index.js';

const folders: string[] = [];
// Read by setting it, as reading it alone is deprecated.
const umaskBefore = process.umask(0o022);
process.umask(umaskBefore);

afterEach(async () => {
  process.umask(umaskBefore);
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function freshFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'keyplane-store-private-'));
  folders.push(folder);
  return folder;
}

/** Paths under `root` (itself included) that group or others may use, with their modes. */
async function openToOthers(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const stats = await lstat(path);
    const mode = stats.mode & 0o777;
    if (mode !== (stats.isDirectory() ? 0o700 : 0o600)) found.push(`${mode.toString(8)} ${path}`);
    if (stats.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(root);
  return found;
}

describe("the embedded store's folder", () => {
  it('is created private, and every file written into it stays private, whatever the umask', async () => {
    const dataDir = join(await freshFolder(), 'store');
    process.umask(0);
    const store = await openEmbeddedStore({ dataDir });
    try {
      for (let written = 0; written < 20; written++) await store.putSettingIfAbsent(`setting ${written}`, 'value');
    } finally {
      await store.close();
    }
    expect(await openToOthers(dataDir)).toEqual([]);
  });

  it('is made private when others could use it, and says so', async () => {
    const dataDir = await freshFolder();
    await mkdir(join(dataDir, 'restored'));
    await writeFile(join(dataDir, 'restored', 'notes'), 'copied with the usual umask');
    await chmod(join(dataDir, 'restored', 'notes'), 0o644);
    await chmod(join(dataDir, 'restored'), 0o755);
    await chmod(dataDir, 0o755);
    const told: { folder: string; paths: readonly string[] }[] = [];

    const store = await openEmbeddedStore({
      dataDir,
      onFolderTightened: (folder, paths) => told.push({ folder, paths }),
    });
    await store.close();

    expect(told).toEqual([
      { folder: dataDir, paths: [dataDir, join(dataDir, 'restored'), join(dataDir, 'restored', 'notes')] },
    ]);
    expect(await openToOthers(dataDir)).toEqual([]);
  });

  it('says nothing when the folder is already private', async () => {
    const dataDir = await freshFolder();
    await chmod(dataDir, 0o700);
    const told: string[] = [];
    const store = await openEmbeddedStore({ dataDir, onFolderTightened: (folder) => told.push(folder) });
    await store.close();
    expect(told).toEqual([]);
  });
});

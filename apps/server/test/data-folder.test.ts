import { chmod, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyplaneClient, discue } from '@keyplane/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess } from './support/process.js';

const ROOT_KEY = 'data-folder-root-key-0123456789-abcdefghijk';
const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function freshFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'keyplane-private-'));
  folders.push(folder);
  return folder;
}

/** Every folder and file under `root` (itself included) with its permission bits. */
async function modesUnder(root: string): Promise<{ path: string; directory: boolean; mode: number }[]> {
  const found: { path: string; directory: boolean; mode: number }[] = [];
  const visit = async (path: string) => {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) return;
    found.push({ path, directory: stats.isDirectory(), mode: stats.mode & 0o777 });
    if (stats.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(root);
  return found;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');
const loosePermissions = (entries: { path: string; directory: boolean; mode: number }[]) =>
  entries
    .filter(({ directory, mode }) => mode !== (directory ? 0o700 : 0o600))
    .map(({ path, mode }) => `${octal(mode)} ${path}`);

describe("the embedded store's data folder", () => {
  it('is private to the server, whatever the umask it was started with', async () => {
    const dataDir = join(await freshFolder(), 'data');
    const server = await startServerProcess(
      { KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: ROOT_KEY },
      { umask: '000' },
    );
    try {
      // Writes reach the write-ahead log, and with it files created after the start-up.
      const root = createKeyplaneClient({ baseUrl: server.url, credential: { bearer: ROOT_KEY } });
      for (let created = 0; created < 5; created++) await discue.createKey(root, { name: `key ${created}` });
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    const entries = await modesUnder(dataDir);
    expect(entries.filter(({ directory }) => !directory).length).toBeGreaterThan(0);
    expect(loosePermissions(entries)).toEqual([]);
  });

  it('is made private when others could read it, with a warning naming it', async () => {
    const dataDir = await freshFolder();
    const first = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: ROOT_KEY });
    try {
      const root = createKeyplaneClient({ baseUrl: first.url, credential: { bearer: ROOT_KEY } });
      await discue.createKey(root, { name: 'kept through the tightening' });
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // As a copy or a restore with the usual umask would leave it.
    for (const { path, directory } of await modesUnder(dataDir)) await chmod(path, directory ? 0o755 : 0o644);
    await writeFile(join(dataDir, 'restored-by-hand'), 'notes', { mode: 0o644 });
    await chmod(join(dataDir, 'restored-by-hand'), 0o644);
    expect(loosePermissions(await modesUnder(dataDir))).not.toEqual([]);

    const second = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: ROOT_KEY });
    try {
      const root = createKeyplaneClient({ baseUrl: second.url, credential: { bearer: ROOT_KEY } });
      expect((await discue.listKeys(root)).map(({ name }) => name)).toEqual(['kept through the tightening']);
      const warnings = second
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: string; message: string; dataDir?: string })
        .filter(({ level }) => level === 'warn');
      expect(warnings).toEqual([expect.objectContaining({ dataDir, message: expect.stringContaining('private') })]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(loosePermissions(await modesUnder(dataDir))).toEqual([]);
  });
});

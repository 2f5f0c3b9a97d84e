import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Permission bits that let anyone but the owner in. */
const GROUP_AND_OTHERS = 0o077;
const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Creates `folder` private to this process's user, or takes away what group and others may
 * do in an existing one and everything under it. Returns the paths that were open to others.
 *
 * The embedded store's files hold every key digest and, unless configured, the digest and
 * signing secrets themselves: anyone who can read them can forge access tokens.
 */
export async function makeFolderPrivate(folder: string): Promise<string[]> {
  // PGlite creates folders (new databases, log and WAL folders) with a bare mkdir and files
  // before it sets their mode: only the umask keeps those private from the first moment. It
  // is process-wide and left so: PGlite writes until it is closed, other stores may be open.
  process.umask(process.umask(GROUP_AND_OTHERS) | GROUP_AND_OTHERS);
  await mkdir(folder, { recursive: true, mode: PRIVATE_FOLDER });
  const opened: string[] = [];
  const tighten = async (path: string) => {
    const stats = await lstat(path);
    // A link is not the store's own file: its target stays as its owner set it.
    if (stats.isSymbolicLink()) return;
    if (stats.mode & GROUP_AND_OTHERS) {
      await chmod(path, stats.isDirectory() ? PRIVATE_FOLDER : PRIVATE_FILE);
      opened.push(path);
    }
    if (stats.isDirectory()) for (const entry of await readdir(path)) await tighten(join(path, entry));
  };
  await tighten(folder);
  return opened;
}

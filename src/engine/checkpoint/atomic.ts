/**
 * Crash-safe file and folder writes.
 *
 * A file is written to `<path>.tmp-<pid>-<rand>` next to it, fsynced, then renamed over the target (rename is atomic
 * within one filesystem), so readers see either the old bytes or the new ones.
 *
 * A folder is written in full to `<dir>.tmp-<pid>-<rand>/` (every file fsynced), then swapped in: an existing `<dir>`
 * is first renamed aside to `<dir>.old-<pid>-<rand>`, the new folder renamed to `<dir>`, and the old one removed.
 * (POSIX rename cannot replace a non-empty folder, hence the aside step.) Whatever instant a crash hits, the disk
 * holds the complete old folder or the complete new one under `<dir>` — or, in the instant between the two renames,
 * the complete old folder as `<dir>.old-*`, which `removeStaleTemps` renames back. Leftover `.tmp-*` (unfinished
 * writes), `.old-*` (already replaced) and `.del-*` (being deleted) entries are removed by `removeStaleTemps`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

const fsp = fs.promises;

/** Temp/aside paths this process is writing right now; `removeStaleTemps` leaves them alone. */
const inProgress = new Set<string>();

/** `.tmp-` = unfinished write, `.old-` = replaced folder awaiting removal, `.del-` = folder being deleted. */
export type TempKind = 'tmp' | 'old' | 'del';

const TEMP_RE = /^(.*)\.(tmp|old|del)-(\d+)-([0-9a-f]+)$/;

/** A sibling path for a temporary/aside entry: `<target>.<kind>-<pid>-<random hex>`. */
export function tempPathFor(target: string, kind: TempKind): string {
  return `${target}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** True for names produced by `tempPathFor` (and so never a real checkpoint/file name). */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

/** Write a file atomically: temp file in the same folder, fsync, rename over `filePath`. The temp is removed on failure. */
export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(filePath, 'tmp');
  inProgress.add(tmp);
  try {
    await writeAndSync(tmp, data);
    await fsp.rename(tmp, filePath);
    await syncDir(path.dirname(filePath));
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    inProgress.delete(tmp);
  }
}

/**
 * Write a whole folder atomically. `files` maps plain file names (not `.`/`..`), or `sub/name` paths of such names
 * (an exported generator folder inside the export), to contents. On any
 * failure before the swap, the temp folder is removed and an existing `finalDir` is untouched.
 */
export async function writeFolderAtomic(finalDir: string, files: ReadonlyMap<string, string | Uint8Array>): Promise<void> {
  const target = path.resolve(finalDir);
  const parent = path.dirname(target);
  await fsp.mkdir(parent, { recursive: true });
  const tmpDir = tempPathFor(target, 'tmp');
  inProgress.add(tmpDir);
  try {
    await fsp.mkdir(tmpDir);
    const subfolders = new Set<string>();
    for (const [name, data] of files) {
      checkPlainName(name);
      const sub = path.dirname(name);
      if (sub !== '.' && !subfolders.has(sub)) {
        await fsp.mkdir(path.join(tmpDir, sub), { recursive: true });
        subfolders.add(sub);
      }
      await writeAndSync(path.join(tmpDir, name), data);
    }
    for (const sub of subfolders) await syncDir(path.join(tmpDir, sub));
    await syncDir(tmpDir);
  } catch (e) {
    await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    inProgress.delete(tmpDir);
    throw e;
  }

  let aside: string | undefined; // the previous folder's aside path, while it is there
  let swapped = false;
  try {
    if (await exists(target)) {
      const asidePath = tempPathFor(target, 'old');
      inProgress.add(asidePath);
      try {
        await fsp.rename(target, asidePath);
        aside = asidePath;
      } finally {
        if (aside === undefined) inProgress.delete(asidePath);
      }
    }
    await fsp.rename(tmpDir, target);
    swapped = true;
  } catch (e) {
    if (aside !== undefined) {
      // Put the previous folder back. If even that fails it stays at the aside path, complete, no longer marked
      // in-progress, and removeStaleTemps renames it back — it is never deleted while `target` is missing.
      const restored = await fsp.rename(aside, target).then(() => true, () => false);
      inProgress.delete(aside);
      if (restored) aside = undefined;
    }
    await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  } finally {
    inProgress.delete(tmpDir);
  }
  await syncDir(parent);
  if (swapped && aside !== undefined) {
    // The new folder is in place; a crash or failure here only leaves a stray .old-* that removeStaleTemps deletes.
    await fsp.rm(aside, { recursive: true, force: true }).catch(() => undefined);
    inProgress.delete(aside);
  }
}

/**
 * Delete a folder so that a crash midway never leaves a half-deleted folder under its real name: it is renamed to
 * `<dir>.del-*` first (atomic), then removed. Missing folders are fine.
 */
export async function removeFolderAtomic(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const doomed = tempPathFor(target, 'del');
  inProgress.add(doomed);
  try {
    try {
      await fsp.rename(target, doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await fsp.rm(doomed, { recursive: true, force: true });
  } finally {
    inProgress.delete(doomed);
  }
}

/**
 * Clean up after crashed writes in `parentDir` (not recursive): a `<x>.old-*` whose `<x>` is missing (crash between
 * the two renames of `writeFolderAtomic`) is renamed back to `<x>`; every other `.tmp-*` / `.old-*` / `.del-*` entry
 * is removed. Entries that belong to a write still running — in this process, or in another live process (by pid) —
 * are left alone. A missing `parentDir` is fine.
 */
export async function removeStaleTemps(parentDir: string): Promise<void> {
  const dir = path.resolve(parentDir);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw e;
  }
  const stale = names
    .map((name) => ({ name, m: TEMP_RE.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .filter(({ name, m }) => !isBusy(path.join(dir, name), Number(m[3])));

  // First restore folders stranded aside, so the .tmp sweep below can never leave a target with no folder at all.
  for (const { name, m } of stale) {
    if (m[2] !== 'old') continue;
    const original = path.join(dir, m[1]);
    if (!(await exists(original))) {
      await fsp.rename(path.join(dir, name), original).catch(() => undefined);
    }
  }
  for (const { name } of stale) {
    await fsp.rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

// ─────────────────────────────────────────── helpers ───────────────────────────────────────────

function isBusy(fullPath: string, pid: number): boolean {
  if (pid === process.pid) return inProgress.has(fullPath);
  return processAlive(pid);
}

export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function checkPlainName(name: string): void {
  const segments = name.split('/');
  if (segments.some((n) => n === '' || n === '.' || n === '..' || n.includes('\\') || n.includes('\0'))) {
    throw new Error(`writeFolderAtomic: ${JSON.stringify(name)} is not a plain file name`);
  }
}

async function writeAndSync(filePath: string, data: string | Uint8Array): Promise<void> {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new TypeError(`cannot write ${path.basename(filePath)}: contents must be a string or Uint8Array`);
  }
  const fh = await fsp.open(filePath, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a folder so renames/creations inside it are durable. Best effort: not possible on every platform (Windows). */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // ignore: directory fsync is unsupported on some platforms/filesystems
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

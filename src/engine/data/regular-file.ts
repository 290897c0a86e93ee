/**
 * Reading a file the user named, safely: only regular files (a FIFO or a device such as /dev/zero would hang or
 * never end), opened without blocking (opening a FIFO for reading waits for a writer), at most `maxBytes`, and only
 * the bytes it held when opened (a file that keeps growing is read up to its size at open).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { UserError } from '../errors';

/** Text files read whole (a document to score, a task split): more than this is not a text a user means. */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

export interface RegularFileOptions {
  /** Refuse files larger than this (default MAX_TEXT_FILE_BYTES). */
  maxBytes?: number;
  /** What to tell the user to do instead, e.g. "pass the --dev TSV or JSONL file". */
  fix: string;
}

/** Opens `file` for reading if it is a regular file; a UserError naming it otherwise. */
export async function openRegularFile(file: string, fix: string): Promise<{ handle: fsp.FileHandle; size: number }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : code ?? 'cannot open';
    throw new UserError(`${file}: ${why} — ${fix}`);
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a pipe (FIFO)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new UserError(`${file}: is ${kind}, not a regular file — ${fix}`);
  }
  return { handle, size: st.size };
}

/** The bytes of a regular file, at most `maxBytes`. */
export async function readRegularFile(file: string, options: RegularFileOptions): Promise<Buffer> {
  const max = options.maxBytes ?? MAX_TEXT_FILE_BYTES;
  const { handle, size } = await openRegularFile(file, options.fix);
  try {
    if (size > max) {
      throw new UserError(`${file}: ${formatSize(size)} is over the ${formatSize(max)} limit for this file — ${options.fix}`);
    }
    const buf = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buf, filled, Math.min(size - filled, 64 * 1024 * 1024), filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

export function formatSize(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${Math.round(n / 1024 ** 2)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

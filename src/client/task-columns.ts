import * as fs from 'node:fs/promises';

/** The columns of a task file the user picks from: a TSV's header names, or a JSONL file's first object's keys. */
export interface TaskColumns {
  format: 'tsv' | 'jsonl';
  names: string[];
  /** The first example's value of each column (shown next to its name), '' when there is none. */
  samples: string[];
}

/** A task file the editor cannot offer columns of; the message is one line naming the file and the fix. */
export class TaskFileError extends Error {}

/** Enough of a file for its header row and first example, however large the file is. */
const HEAD_BYTES = 1 << 20;

async function firstLines(file: string): Promise<string[]> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 2);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TaskFileError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (e as Error).message} — choose a TSV or JSONL task file`);
  } finally {
    await handle?.close();
  }
}

function tsvColumns(file: string, [header, example]: string[]): TaskColumns {
  const names = header.split('\t');
  const fix = 'start the file with a header row of tab-separated column names, e.g. sentence<TAB>label';
  if (names.length < 2) throw new TaskFileError(`${file}: the first row has no tab, so no text and label columns — ${fix}`);
  // A header of data (CoLA's train.tsv has none) has numbers or empty fields where names belong.
  const bad = names.find((n) => n.trim() === '' || Number.isFinite(Number(n)));
  if (bad !== undefined) throw new TaskFileError(`${file}: the first row looks like data (a column named "${bad}") — ${fix}`);
  const values = example?.split('\t') ?? [];
  return { format: 'tsv', names, samples: names.map((_, i) => values[i] ?? '') };
}

function jsonlColumns(file: string, [first]: string[]): TaskColumns {
  let row: unknown;
  try {
    row = JSON.parse(first);
  } catch {
    row = undefined;
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new TaskFileError(`${file}:1: not a JSON object — every line of a JSONL task file must be one object, e.g. {"sentence": "…", "label": 1}`);
  }
  const fields = Object.entries(row).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v));
  if (fields.length < 2) throw new TaskFileError(`${file}:1: fewer than two text or number fields — each line needs a text field and a label field, e.g. {"sentence": "…", "label": 1}`);
  return { format: 'jsonl', names: fields.map(([k]) => k), samples: fields.map(([, v]) => String(v)) };
}

/** Reads a task file's columns as `electra-lab finetune` will see them (the same TSV/JSONL rule). */
export async function readTaskColumns(file: string): Promise<TaskColumns> {
  const lines = await firstLines(file);
  if (lines.length === 0) throw new TaskFileError(`${file} is empty — a task file needs a header row and examples (TSV) or JSON lines`);
  const jsonl = /\.jsonl?$/i.test(file) || lines[0].trimStart().startsWith('{');
  return jsonl ? jsonlColumns(file, lines) : tsvColumns(file, lines);
}

import { UserError } from '../errors';
import { readRegularFile } from '../data/regular-file';
import type { TaskKind } from './options';
export { taskNameFromFile } from '../../finetune-defaults';

/** One labelled example as read from a task file; `line` (1-based) is for error messages. */
export interface RawExample {
  a: string;
  b?: string;
  label: string;
  line: number;
}

export interface ColumnChoice {
  textA?: string;
  textB?: string;
  label?: string;
}

/** Which columns a file's examples came from (names as the header says). */
export interface TaskFile {
  file: string;
  examples: RawExample[];
  columns: { textA: string; textB?: string; label: string };
}

// GLUE's headers: SST-2/CoLA-style `sentence`, pairs `sentence1/2` (MRPC, RTE, STS-B), `question1/2` (QQP),
// `question`+`sentence` (QNLI), `premise`+`hypothesis` (MNLI as JSONL exports have it); STS-B's label is `score`.
const TEXT_A_GUESSES = ['sentence', 'sentence1', 'question1', 'premise', 'question', 'text', 'text_a'];
const TEXT_B_FOR: Record<string, string[]> = { sentence1: ['sentence2'], question1: ['question2'], premise: ['hypothesis'], question: ['sentence'], text_a: ['text_b'] };
const LABEL_GUESSES = ['label', 'score', 'gold_label', 'labels'];

/** Reads a GLUE-style TSV (header row, tab-separated, no quoting — as google-research/electra reads GLUE) or JSONL. */
export async function readTaskFile(file: string, choice: ColumnChoice, role: 'train' | 'dev'): Promise<TaskFile> {
  // A regular file only, size-capped: a FIFO or a device named as --dev would hang or never end.
  let text = (await readRegularFile(file, { fix: `pass the --${role} TSV or JSONL file` })).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const isJsonl = /\.jsonl?$/i.test(file) || text.trimStart().startsWith('{');
  const parsed = isJsonl ? readJsonl(file, text, choice) : readTsv(file, text, choice);
  if (parsed.examples.length === 0) {
    throw new UserError(`${file}: no examples (${isJsonl ? 'no JSON lines' : 'only a header row'}) — the --${role} split needs at least one labelled row`);
  }
  return parsed;
}

function readTsv(file: string, text: string, choice: ColumnChoice): TaskFile {
  const lines = text.split(/\r?\n/);
  const header = lines[0].split('\t');
  const columns = resolveColumns(file, header, choice, true);
  const index = (name: string) => header.indexOf(name);
  const ia = index(columns.textA), il = index(columns.label);
  const ib = columns.textB === undefined ? -1 : index(columns.textB);
  const examples: RawExample[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = lines[i].split('\t');
    if (fields.length !== header.length) {
      throw new UserError(`${file}:${i + 1}: row has ${fields.length} tab-separated fields but the header has ${header.length} — fix that row (a tab or line break inside the text splits it)`);
    }
    examples.push({ a: fields[ia], b: ib >= 0 ? fields[ib] : undefined, label: fields[il].trim(), line: i + 1 });
  }
  return { file, examples, columns };
}

function readJsonl(file: string, text: string, choice: ColumnChoice): TaskFile {
  const examples: RawExample[] = [];
  let columns: TaskFile['columns'] | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(lines[i]);
    } catch {
      throw new UserError(`${file}:${i + 1}: not valid JSON — every line of a JSONL file must be one JSON object`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UserError(`${file}:${i + 1}: not a JSON object — every line must be {"sentence": ..., "label": ...}`);
    const record = row as Record<string, unknown>;
    columns ??= resolveColumns(file, Object.keys(record), choice, false);
    const field = (name: string): string => {
      const v = record[name];
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new UserError(`${file}:${i + 1}: "${name}" is ${v === undefined ? 'missing' : JSON.stringify(v)} — every line needs the same text and label fields`);
    };
    examples.push({ a: field(columns.textA), b: columns.textB === undefined ? undefined : field(columns.textB), label: field(columns.label).trim(), line: i + 1 });
  }
  return { file, examples, columns: columns ?? { textA: '', label: '' } };
}

function resolveColumns(file: string, names: string[], choice: ColumnChoice, byIndex: boolean): TaskFile['columns'] {
  const pick = (given: string | undefined, flag: string): string | undefined => {
    if (given === undefined) return undefined;
    if (names.includes(given)) return given;
    if (byIndex && /^\d+$/.test(given) && Number(given) < names.length) return names[Number(given)];
    throw new UserError(`${file}: no column "${given}" for --${flag} — it has ${names.map((n) => JSON.stringify(n)).join(', ')}${byIndex ? ' (or pass a 0-based index)' : ''}`);
  };
  const guess = (candidates: string[], flag: string, what: string): string => {
    const found = candidates.find((c) => names.includes(c));
    if (!found) throw new UserError(`${file}: cannot tell which column holds the ${what} (columns: ${names.map((n) => JSON.stringify(n)).join(', ')}) — pass --${flag} <name|index>`);
    return found;
  };
  const textA = pick(choice.textA, 'text-a') ?? guess(TEXT_A_GUESSES, 'text-a', 'text');
  const label = pick(choice.label, 'label') ?? guess(LABEL_GUESSES, 'label', 'label');
  let textB = pick(choice.textB, 'text-b');
  if (textB === undefined && choice.textA === undefined) textB = (TEXT_B_FOR[textA] ?? []).find((c) => names.includes(c));
  if (textA === label || textB === label) throw new UserError(`${file}: the label column "${label}" is also a text column — pass --text-a/--text-b/--label with different columns`);
  return { textA, textB, label };
}

/** The label vocabulary of a classification task: the training file's labels, numerically sorted when all are numbers. */
export function labelSet(train: TaskFile): string[] {
  const labels = [...new Set(train.examples.map((e) => e.label))];
  const numeric = labels.every((l) => l !== '' && Number.isFinite(Number(l)));
  return numeric ? labels.sort((x, y) => Number(x) - Number(y)) : labels.sort();
}

/** Label ids (classification) or float targets (regression); a dev label the training set never had is a UserError. */
export function labelTargets(task: TaskFile, kind: TaskKind, labels: string[], trainFile: string): Float32Array {
  const out = new Float32Array(task.examples.length);
  const ids = new Map(labels.map((l, i) => [l, i]));
  task.examples.forEach((e, i) => {
    if (kind === 'regression') {
      const v = Number(e.label);
      if (e.label === '' || !Number.isFinite(v)) throw new UserError(`${task.file}:${e.line}: label "${e.label}" is not a number — a regression task needs numeric labels (or drop --regression)`);
      out[i] = v;
      return;
    }
    const id = ids.get(e.label);
    if (id === undefined) {
      throw new UserError(`${task.file}:${e.line}: label "${e.label}" never occurs in ${trainFile} (labels: ${labels.slice(0, 10).join(', ')}) — fix the label, or add training examples of it`);
    }
    out[i] = id;
  });
  return out;
}


/**
 * A sweep spec file → the runs it asks for. Everything a user can get wrong is refused here, before any
 * training, in one line naming the spec file and the fix (every run's options go through resolveOptions too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SWEEP_AXES, type SweepAxis, type SweepFinetune, type SweepSpec, type SweepValue } from '../../protocol';
import { UserError, isUserError } from '../errors';
import { resolveOptions, type PretrainOptions } from '../pretrain/options';

const SPEC_KEYS = ['corpus', 'out', 'base', 'budget', 'axes', 'dataSeed', 'eval', 'finetune'];
const FINETUNE_KEYS: Record<keyof SweepFinetune, 'string' | 'number' | 'boolean'> = {
  train: 'string', dev: 'string', taskName: 'string', textA: 'string', textB: 'string', label: 'string', regression: 'boolean',
  epochs: 'number', learningRate: 'number', batchSize: 'number', seqLength: 'number', seed: 'number',
};
const EVAL_KEYS = ['maxExamples', 'batchSize', 'injectedFraction'];
/** Set by the sweep for every run: the spec cannot choose them per run. */
const SWEEP_OWNED = ['corpus', 'out', 'steps', 'dataSeed', 'vocabFile', 'resume'];
const HINT = 'see docs/experiments.md';
const AXIS_TYPES: Record<SweepAxis, 'string' | 'number'> = {
  objective: 'string', training: 'string', genWidth: 'number', embeddingSharing: 'string', learningRate: 'number', seed: 'number',
};
/** Options without a default value (absent = off). */
const OPTIONAL_OPTION_TYPES: Record<string, string> = { training: 'string', adversarialWarmup: 'number' };

export interface PlannedRun {
  name: string;
  values: Partial<Record<SweepAxis, SweepValue>>;
  /** The run's options without `steps` (the budget decides them once the vocabulary is known). */
  given: Partial<PretrainOptions>;
}

export interface Sweep {
  specFile: string;
  out: string;
  corpus: string[];
  budget: SweepSpec['budget'];
  dataSeed: number;
  eval: { maxExamples: number; batchSize: number; injectedFraction: number };
  /** The fine-tuning task, paths resolved. */
  finetune?: SweepFinetune;
  /** Options every run shares (for the vocabulary: vocabSize, lowercase, tokenizerChars). */
  base: Partial<PretrainOptions>;
  runs: PlannedRun[];
}

export function readSweepSpec(specFile: string): Sweep {
  const file = path.resolve(specFile);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file} does not exist — pass the path of a sweep spec (JSON; ${HINT})`);
    throw new UserError(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]}) — fix the syntax (${HINT})`);
  }
  const fail = (what: string): never => { throw new UserError(`${file}: ${what} (${HINT})`); };
  if (!isObject(raw)) fail('the spec must be a JSON object with corpus, budget and axes');
  const spec = raw as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.includes(key)) fail(`unknown key "${key}" — use ${SPEC_KEYS.join(', ')}`);

  const corpus = spec.corpus;
  if (!Array.isArray(corpus) || corpus.length === 0 || !corpus.every((c) => typeof c === 'string' && c.trim() !== '')) {
    fail('"corpus" must be a non-empty list of files, folders or globs, e.g. ["data/"]');
  }
  const dir = path.dirname(file);
  const corpusPaths = (corpus as string[]).map((c) => path.resolve(dir, c));

  const budget = parseBudget(spec.budget, fail);
  const base = spec.base ?? {};
  if (!isObject(base)) fail('"base" must be an object of pretraining options, e.g. { "preset": "tiny" }');
  const defaults = resolveOptions({ corpus: ['x'], out: 'x' }) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(base as object)) {
    if (SWEEP_OWNED.includes(key)) fail(`"base.${key}" is set by the sweep — remove it (the budget sets steps; "corpus" and "dataSeed" are top-level keys)`);
    const type = key in defaults ? typeof defaults[key] : OPTIONAL_OPTION_TYPES[key];
    if (!type) fail(`"base.${key}" is not a pretraining option — use run.json's names, e.g. preset, batchSize, seqLength, vocabSize, learningRate`);
    if (typeof value !== type) fail(`"base.${key}" must be a ${type}, got ${JSON.stringify(value)}`);
  }

  const axes = spec.axes;
  if (!isObject(axes)) fail(`"axes" must be an object, e.g. { "objective": ["electra", "mlm"] } — axes: ${SWEEP_AXES.join(', ')}`);
  const axisEntries: [SweepAxis, SweepValue[]][] = [];
  for (const [key, values] of Object.entries(axes as object)) {
    if (!(SWEEP_AXES as readonly string[]).includes(key)) fail(`unknown axis "${key}" — use ${SWEEP_AXES.join(', ')}`);
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' || typeof v === 'number')) {
      fail(`"axes.${key}" must be a non-empty list of values`);
    }
    if (new Set(values).size !== values.length) fail(`"axes.${key}" lists a value twice — list each once`);
    const type = AXIS_TYPES[key as SweepAxis];
    if (!(values as unknown[]).every((v) => typeof v === type)) fail(`"axes.${key}" takes ${type}s, e.g. ${type === 'number' ? '[0.25, 0.5]' : '["electra", "mlm"]'}`);
    if (key in (base as object)) fail(`"${key}" is both an axis and in "base" — keep one`);
    axisEntries.push([key as SweepAxis, values as SweepValue[]]);
  }

  const dataSeed = spec.dataSeed ?? (base as Record<string, unknown>).seed ?? 42;
  if (typeof dataSeed !== 'number' || !Number.isInteger(dataSeed)) fail('"dataSeed" must be an integer');
  const out = spec.out === undefined ? path.join(dir, `${path.basename(file, path.extname(file))}.sweep`) : spec.out;
  if (typeof out !== 'string' || out.trim() === '') fail('"out" must be a folder path');

  const runs = combinations(axisEntries).map((values) => {
    const name = runName(values);
    const given = { ...(base as Partial<PretrainOptions>), ...(values as Partial<PretrainOptions>) };
    try {
      // The budget's steps, or a stand-in under a FLOP budget (the real count needs the vocabulary).
      resolveOptions({ ...given, corpus: corpusPaths, out: name, steps: 'steps' in budget ? budget.steps : 1000, dataSeed: dataSeed as number });
    } catch (e) {
      if (isUserError(e)) fail(`run ${name}: ${e.message}`);
      throw e;
    }
    return { name, values, given };
  });
  return {
    specFile: file, out: path.resolve(dir, out as string), corpus: corpusPaths, budget, dataSeed: dataSeed as number,
    eval: parseEval(spec.eval, fail), finetune: parseFinetune(spec.finetune, dir, fail), base: base as Partial<PretrainOptions>, runs,
  };
}

function parseBudget(budget: unknown, fail: (what: string) => never): SweepSpec['budget'] {
  const example = '{ "steps": 1000 } or { "flops": 1e15 }';
  if (!isObject(budget)) return fail(`"budget" must be ${example}`);
  const keys = Object.keys(budget);
  if (keys.length !== 1 || (keys[0] !== 'steps' && keys[0] !== 'flops')) return fail(`"budget" must be ${example} — exactly one of them`);
  const value = (budget as Record<string, unknown>)[keys[0]];
  if (keys[0] === 'steps') {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) return fail('"budget.steps" must be a positive integer');
    return { steps: value };
  }
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) return fail('"budget.flops" must be a positive number, e.g. 1e15');
  return { flops: value };
}

function parseEval(raw: unknown, fail: (what: string) => never): Sweep['eval'] {
  const e = raw ?? {};
  if (!isObject(e)) return fail(`"eval" must be an object with ${EVAL_KEYS.join(', ')}`);
  for (const key of Object.keys(e)) if (!EVAL_KEYS.includes(key)) fail(`unknown key "eval.${key}" — use ${EVAL_KEYS.join(', ')}`);
  const r = e as Record<string, unknown>;
  const int = (key: string, fallback: number) => {
    const v = r[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`"eval.${key}" must be a positive integer`);
    return v as number;
  };
  const fraction = r.injectedFraction ?? 0.1;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) fail('"eval.injectedFraction" must be in (0, 1)');
  return { maxExamples: int('maxExamples', 256), batchSize: int('batchSize', 8), injectedFraction: fraction as number };
}

function parseFinetune(raw: unknown, dir: string, fail: (what: string) => never): SweepFinetune | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return fail('"finetune" must be an object such as { "train": "sst2/train.tsv", "dev": "sst2/dev.tsv" }');
  for (const [key, value] of Object.entries(raw)) {
    const type = FINETUNE_KEYS[key as keyof SweepFinetune];
    if (!type) fail(`unknown key "finetune.${key}" — use ${Object.keys(FINETUNE_KEYS).join(', ')}`);
    if (typeof value !== type) fail(`"finetune.${key}" must be a ${type}`);
  }
  const task = raw as unknown as SweepFinetune;
  if (!task.train || !task.dev) fail('"finetune" needs "train" and "dev" files');
  const train = path.resolve(dir, task.train), devFile = path.resolve(dir, task.dev);
  for (const [key, file] of [['train', train], ['dev', devFile]] as const) if (!fs.existsSync(file)) fail(`"finetune.${key}" ${file} does not exist — fix the path (relative to the spec file)`);
  return { ...task, train, dev: devFile };
}

function combinations(axes: [SweepAxis, SweepValue[]][]): Partial<Record<SweepAxis, SweepValue>>[] {
  let out: Partial<Record<SweepAxis, SweepValue>>[] = [{}];
  for (const [axis, values] of axes) out = out.flatMap((partial) => values.map((v) => ({ ...partial, [axis]: v })));
  return out;
}

/** A folder name that says the run's values: `objective-electra_seed-1` (`base` when the spec has no axes). */
export function runName(values: Partial<Record<SweepAxis, SweepValue>>): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}-${String(v).replace(/[^A-Za-z0-9.+-]/g, '_')}`);
  return parts.length ? parts.join('_') : 'base';
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Run-time validation of every message between a panel's host and its webview page, both directions.
 * A page is untrusted input for the host and a page must survive whatever it is sent, so each parser
 * checks every field's type, bounds every array and string, and requires finite numbers; anything else
 * gives `undefined`. Imported by the extension host and by the webview bundles: no `vscode`, no DOM.
 * Only types come from src/protocol.ts, so the webview bundle never pulls in the LSP runtime.
 */
import type {
  CheckpointEvaluation,
  CheckpointRef,
  CorruptResult,
  CorruptToken,
  CorruptionToken,
  EvalFromWebview,
  EvalToWebview,
  FinetuneSummary,
  HeatmapToken,
  LabFromWebview,
  LabToWebview,
  MetricRecord,
  RunSample,
  RunSummary,
  RunsFromWebview,
  RunsToWebview,
  TextSource,
} from './protocol';

/** Bounds. Generous for real data (a 200k-token file, a long run's metrics), small enough that a hostile
 *  message cannot make a page allocate or render without limit. */
export const LIMITS = {
  tokens: 200_000,
  /** A token's text: WordPiece pieces are short, but a heatmap token is a slice of the user's file. */
  tokenText: 1_000,
  /** A whole file's text shown by the heatmap. */
  text: 10_000_000,
  path: 4_096,
  message: 10_000,
  name: 500,
  runs: 1_000,
  runSamples: 10_000,
  metricRecords: 1_000_000,
  metricKeys: 200,
  checkpoints: 10_000,
  corpus: 10_000,
  finetuneTasks: 100,
  configKeys: 500,
  configDepth: 6,
} as const;

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isStr(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length <= max;
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function isInt(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}
function isProb(x: unknown): x is number {
  return isNum(x) && x >= 0 && x <= 1;
}
function isBool(x: unknown): x is boolean {
  return typeof x === 'boolean';
}
function optional<T>(x: unknown, check: (v: unknown) => v is T): boolean {
  return x === undefined || check(x);
}
/** Bounded array whose every element passes; a plain loop so a 200k-element array costs one pass. */
function isArr<T>(x: unknown, max: number, each: (v: unknown) => v is T): x is T[] {
  if (!Array.isArray(x) || x.length > max) return false;
  for (let i = 0; i < x.length; i++) if (!each(x[i])) return false;
  return true;
}
const str = (max: number) => (x: unknown): x is string => isStr(x, max);

/**
 * A parser from one check per message type. The table must name every `type` of the union, so a message
 * added to src/protocol.ts without a check here fails to compile instead of being refused at run time.
 * A check returns the message (the object itself once every field is checked, or a copy with only the known
 * fields when it comes from a page) or undefined.
 */
type ChecksByType<M extends { type: string }> = { [K in M['type']]: (x: Obj) => M | undefined };
function byType<M extends { type: string }>(checks: ChecksByType<M>): (x: unknown) => M | undefined {
  return (x) => {
    // Own keys only: `type: 'toString'` must not find Object.prototype's.
    if (!isObj(x) || typeof x.type !== 'string' || !Object.hasOwn(checks, x.type)) return undefined;
    return checks[x.type as M['type']](x);
  };
}
/** A check that passes the object itself on when every field it has to have is right. */
function when<M>(ok: (x: Obj) => boolean): (x: Obj) => M | undefined {
  return (x) => (ok(x) ? (x as M) : undefined);
}

function isRange(start: unknown, end: unknown): boolean {
  return isInt(start) && isInt(end) && (start as number) <= (end as number);
}

function isTextSource(x: unknown): x is TextSource {
  return isObj(x) && isStr(x.uri, LIMITS.path) && isStr(x.fileName, LIMITS.path) && isInt(x.version) && isRange(x.start, x.end);
}

function isCorruptionToken(x: unknown): x is CorruptionToken {
  return (
    isObj(x) &&
    isStr(x.original, LIMITS.tokenText) &&
    isStr(x.input, LIMITS.tokenText) &&
    isBool(x.selected) &&
    isStr(x.sampled, LIMITS.tokenText) &&
    optional(x.sampleProb, isProb) &&
    isBool(x.replaced) &&
    optional(x.p, isProb) &&
    optional(x.logit, isNum)
  );
}
function isCorruptToken(x: unknown): x is CorruptToken {
  return isCorruptionToken(x) && isRange((x as unknown as Obj).start, (x as unknown as Obj).end);
}
function isCorruptResult(x: unknown): x is CorruptResult {
  if (!isObj(x) || !isBool(x.truncated) || !isArr(x.tokens, LIMITS.tokens, isCorruptToken)) return false;
  const c = x.counts;
  return isObj(c) && isInt(c.truePositives) && isInt(c.falsePositives) && isInt(c.falseNegatives) && isInt(c.trueNegatives);
}
function isHeatmapToken(x: unknown): x is HeatmapToken {
  return isObj(x) && isStr(x.text, LIMITS.tokenText) && isRange(x.start, x.end) && isNum(x.logit) && isProb(x.p);
}
function isRunSample(x: unknown): x is RunSample {
  return isObj(x) && isInt(x.step) && isInt(x.row) && isArr(x.tokens, LIMITS.tokens, isCorruptionToken);
}

/** busy and error messages: one bounded line of text. */
function hasMessage(x: Obj): boolean {
  return isStr(x.message, LIMITS.message);
}

/** Total tokens across a message's samples, so many small arrays cannot add up past the token bound. */
function sampleTokenCount(samples: RunSample[]): number {
  let n = 0;
  for (const s of samples) n += s.tokens.length;
  return n;
}

export const parseLabToWebview = byType<LabToWebview>({
  corruption: when((x) => isTextSource(x.source) && isStr(x.checkpoint, LIMITS.path) && isInt(x.seed) && isCorruptResult(x.result)),
  heatmap: when((x) => {
    if (!isTextSource(x.source) || !isStr(x.checkpoint, LIMITS.path) || !isStr(x.text, LIMITS.text)) return false;
    if (!isArr(x.tokens, LIMITS.tokens, isHeatmapToken)) return false;
    // Spans index the text; one past its end would render text that is not there.
    const n = x.text.length;
    return x.tokens.every((t) => t.end <= n);
  }),
  runSamples: when((x) => isStr(x.runDir, LIMITS.path) && isArr(x.samples, LIMITS.runSamples, isRunSample) && sampleTokenCount(x.samples) <= LIMITS.tokens),
  threshold: when((x) => isProb(x.threshold)),
  showTab: when((x) => x.tab === 'corruption' || x.tab === 'heatmap' || x.tab === 'samples'),
  busy: when(hasMessage),
  error: when(hasMessage),
});

export const parseLabFromWebview = byType<LabFromWebview>({
  ready: () => ({ type: 'ready' }),
  refreshHeatmap: () => ({ type: 'refreshHeatmap' }),
  resample: (x) => (isInt(x.seed) ? { type: 'resample', seed: x.seed } : undefined),
  loadRunSamples: (x) => {
    if (!optional(x.runDir, str(LIMITS.path))) return undefined;
    return x.runDir === undefined ? { type: 'loadRunSamples' } : { type: 'loadRunSamples', runDir: x.runDir as string };
  },
  reveal: (x) => (isStr(x.uri, LIMITS.path) && isRange(x.start, x.end) ? { type: 'reveal', uri: x.uri, start: x.start as number, end: x.end as number } : undefined),
  setThreshold: (x) => (isProb(x.threshold) ? { type: 'setThreshold', threshold: x.threshold } : undefined),
});

/** run.json is free-form: JSON values only, bounded in keys, depth and string length. */
function isJsonValue(x: unknown, depth: number): boolean {
  if (x === null || isBool(x) || isNum(x) || isStr(x, LIMITS.message)) return true;
  if (depth <= 0) return false;
  if (Array.isArray(x)) return x.length <= LIMITS.configKeys && x.every((v) => isJsonValue(v, depth - 1));
  if (!isObj(x)) return false;
  const keys = Object.keys(x);
  return keys.length <= LIMITS.configKeys && keys.every((k) => k.length <= LIMITS.name && isJsonValue(x[k], depth - 1));
}
const RUN_STATUSES = new Set(['running', 'finished', 'stopped', 'failed', 'unknown']);
function isRunSummary(x: unknown): x is RunSummary {
  return (
    isObj(x) &&
    isStr(x.runDir, LIMITS.path) &&
    isStr(x.name, LIMITS.name) &&
    isObj(x.config) &&
    isJsonValue(x.config, LIMITS.configDepth) &&
    typeof x.status === 'string' &&
    RUN_STATUSES.has(x.status)
  );
}
function isNumberRecord(x: unknown, maxKeys: number): x is Record<string, number> {
  if (!isObj(x)) return false;
  let n = 0;
  for (const k in x) {
    if (++n > maxKeys || k.length > LIMITS.name || !isNum(x[k])) return false;
  }
  return true;
}
function isMetricRecord(x: unknown): x is MetricRecord {
  return isNumberRecord(x, LIMITS.metricKeys) && isInt(x.step);
}

export const parseRunsToWebview = byType<RunsToWebview>({
  runs: when((x) => isArr(x.runs, LIMITS.runs, isRunSummary) && (x.select === undefined || isArr(x.select, LIMITS.runs, str(LIMITS.path)))),
  metrics: when((x) => isStr(x.runDir, LIMITS.path) && isBool(x.reset) && isArr(x.records, LIMITS.metricRecords, isMetricRecord)),
  evaluations: when((x) => isStr(x.runDir, LIMITS.path) && isArr(x.evaluations, LIMITS.checkpoints, isCheckpointEvaluation)),
  error: when(hasMessage),
});

export const parseRunsFromWebview = byType<RunsFromWebview>({
  ready: () => ({ type: 'ready' }),
  select: (x) => (isArr(x.runDirs, LIMITS.runs, str(LIMITS.path)) ? { type: 'select', runDirs: [...x.runDirs] } : undefined),
  openConfig: (x) => (isStr(x.runDir, LIMITS.path) ? { type: 'openConfig', runDir: x.runDir } : undefined),
});

function isCheckpointRef(x: unknown): x is CheckpointRef {
  return isObj(x) && isStr(x.dir, LIMITS.path) && isStr(x.run, LIMITS.name) && isInt(x.step);
}
function isFinetuneSummary(x: unknown): x is FinetuneSummary {
  return isObj(x) && isStr(x.task, LIMITS.name) && isNumberRecord(x.metrics, LIMITS.metricKeys);
}
function isSplit(x: unknown): x is 'heldout' | 'all' {
  return x === 'heldout' || x === 'all';
}
function isCheckpointEvaluation(x: unknown): x is CheckpointEvaluation {
  return (
    isObj(x) &&
    isStr(x.checkpoint, LIMITS.path) &&
    isInt(x.step) &&
    isStr(x.run, LIMITS.name) &&
    isSplit(x.split) &&
    isArr(x.corpus, LIMITS.corpus, str(LIMITS.path)) &&
    isInt(x.examples) &&
    isInt(x.tokens) &&
    isNumberRecord(x.metrics, LIMITS.metricKeys) &&
    isArr(x.finetune, LIMITS.finetuneTasks, isFinetuneSummary) &&
    isBool(x.cached) &&
    isStr(x.evaluatedAt, LIMITS.name)
  );
}

export const parseEvalToWebview = byType<EvalToWebview>({
  checkpoints: when((x) => isArr(x.checkpoints, LIMITS.checkpoints, isCheckpointRef)),
  progress: when((x) => isStr(x.checkpoint, LIMITS.path) && isInt(x.done) && isInt(x.total)),
  result: when((x) => isCheckpointEvaluation(x.evaluation)),
  failed: when((x) => isStr(x.checkpoint, LIMITS.path) && isStr(x.message, LIMITS.message)),
  idle: () => ({ type: 'idle' }),
});

export const parseEvalFromWebview = byType<EvalFromWebview>({
  ready: () => ({ type: 'ready' }),
  cancel: () => ({ type: 'cancel' }),
  evaluate: (x) => {
    if (!isArr(x.checkpoints, LIMITS.checkpoints, str(LIMITS.path)) || !isSplit(x.split)) return undefined;
    if (!optional(x.corpus, (v): v is string[] => isArr(v, LIMITS.corpus, str(LIMITS.path))) || !optional(x.force, isBool)) return undefined;
    const out: EvalFromWebview = { type: 'evaluate', checkpoints: [...x.checkpoints], split: x.split };
    if (x.corpus !== undefined) out.corpus = [...(x.corpus as string[])];
    if (x.force !== undefined) out.force = x.force as boolean;
    return out;
  },
  finetune: (x) => (isArr(x.checkpoints, LIMITS.checkpoints, str(LIMITS.path)) && isSplit(x.split) ? { type: 'finetune', checkpoints: [...x.checkpoints], split: x.split } : undefined),
  export: (x) => (x.format === 'csv' || x.format === 'json' ? { type: 'export', format: x.format } : undefined),
  reveal: (x) => (isStr(x.checkpoint, LIMITS.path) ? { type: 'reveal', checkpoint: x.checkpoint } : undefined),
});

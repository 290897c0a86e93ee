/**
 * The shape of every request's params, checked before a handler touches them: a client is untrusted input, and a
 * wrong type must end in a one-line error naming the field, not in an internal error deep in a handler.
 */
import { corruptSample, evaluateCheckpoint, finetuneStart, heatmapScores, pretrainStart, runStop, setAllowedRoots, tokenPredictions } from '../protocol';
import type { AllowedRoots, CorruptParams, EvaluateParams, FinetuneParams, HeatmapParams, PretrainParams, TokenPredictionsParams } from '../protocol';
import { UserError } from './errors';

const MAX_PATH = 4_096;
const MAX_URI = 16_384;
const MAX_LIST = 10_000;
const BACKENDS = ['auto', 'gpu', 'node', 'native', 'wasm', 'cpu'];

type Kind = 'uri' | 'path' | 'text' | 'int' | 'number' | 'bool' | 'paths' | 'range' | readonly string[];
/** Field → its kind; a trailing `?` on the name marks it optional. */
type Spec = Record<string, Kind>;

function describe(kind: Kind): string {
  if (Array.isArray(kind)) return `one of ${kind.join(', ')}`;
  switch (kind) {
    case 'uri': return `a string of at most ${MAX_URI} characters`;
    case 'path': case 'text': return `a string of at most ${MAX_PATH} characters`;
    case 'int': return 'a whole number ≥ 0';
    case 'number': return 'a finite number';
    case 'bool': return 'true or false';
    case 'paths': return `a list of at most ${MAX_LIST} strings`;
    case 'range': return 'an object {start, end} of whole numbers with start ≤ end';
    default: return String(kind);
  }
}

const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStr = (x: unknown, max: number): boolean => typeof x === 'string' && x.length <= max && !x.includes('\0');

function fits(kind: Kind, x: unknown): boolean {
  if (Array.isArray(kind)) return typeof x === 'string' && kind.includes(x);
  switch (kind) {
    case 'uri': return isStr(x, MAX_URI);
    case 'path': case 'text': return isStr(x, MAX_PATH);
    case 'int': return isInt(x);
    case 'number': return typeof x === 'number' && Number.isFinite(x);
    case 'bool': return typeof x === 'boolean';
    case 'paths': return Array.isArray(x) && x.length <= MAX_LIST && x.every((p) => isStr(p, MAX_PATH));
    case 'range': {
      const r = x as { start?: unknown; end?: unknown } | null;
      return typeof r === 'object' && r !== null && isInt(r.start) && isInt(r.end) && r.start <= r.end;
    }
    default: return false;
  }
}

function check<T>(method: string, params: unknown, spec: Spec): T {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new UserError(`${method}: params must be an object`);
  const given = params as Record<string, unknown>;
  for (const [key, kind] of Object.entries(spec)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    const value = given[name];
    if (value === undefined || value === null) {
      if (optional) continue;
      throw new UserError(`${method}: params.${name} is missing — it must be ${describe(kind)}`);
    }
    if (!fits(kind, value)) throw new UserError(`${method}: params.${name} must be ${describe(kind)}`);
  }
  return params as T;
}

const DOCUMENT: Spec = { uri: 'uri', version: 'int', checkpoint: 'path' };

export const guards = {
  heatmapScores: (p: unknown) => check<HeatmapParams>(heatmapScores.method, p,
    { ...DOCUMENT, 'range?': 'range', 'provisional?': 'bool', 'scoreAhead?': 'bool' }),
  tokenPredictions: (p: unknown) => check<TokenPredictionsParams>(tokenPredictions.method, p, { ...DOCUMENT, offset: 'int' }),
  corruptSample: (p: unknown) => check<CorruptParams>(corruptSample.method, p,
    { ...DOCUMENT, seed: 'number', 'start?': 'int', 'end?': 'int' }),
  evaluateCheckpoint: (p: unknown) => check<EvaluateParams>(evaluateCheckpoint.method, p,
    { checkpoint: 'path', 'corpus?': 'paths', 'split?': ['heldout', 'all'], 'maxExamples?': 'int', 'force?': 'bool' }),
  pretrainStart: (p: unknown) => check<PretrainParams>(pretrainStart.method, p, {
    corpus: 'paths', out: 'path', 'preset?': ['tiny', 'small', 'base'], 'steps?': 'int', 'batch?': 'int', 'seq?': 'int',
    'saveEvery?': 'int', 'resume?': 'bool', 'backend?': BACKENDS,
  }),
  finetuneStart: (p: unknown) => check<FinetuneParams>(finetuneStart.method, p, {
    checkpoint: 'path', train: 'path', dev: 'path', 'out?': 'path', 'taskName?': 'text', 'textA?': 'text', 'textB?': 'text',
    'label?': 'text', 'regression?': 'bool', 'epochs?': 'int', 'lr?': 'number', 'batch?': 'int', 'seq?': 'int', 'baseline?': ['random-init'],
    'backend?': BACKENDS,
  }),
  runStop: (p: unknown) => check<{ runDir: string }>(runStop.method, p, { runDir: 'path' }),
  setAllowedRoots: (p: unknown) => check<AllowedRoots>(setAllowedRoots.method, p, { roots: 'paths', trusted: 'bool' }),
};

/**
 * THE contract between the extension host (client), the engine process (server) and, later, the
 * webviews: every custom request and notification, typed once, imported by all sides (as
 * rust-analyzer's lsp_ext.ts). Nothing crosses a process boundary untyped.
 *
 * Documents reach the engine through standard LSP text synchronisation (didOpen/didChange), so requests
 * name a document by URI and version and never carry its text.
 */
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/** initializationOptions the client sends. */
export interface EngineInitOptions {
  backend?: 'auto' | 'gpu' | 'node' | 'native' | 'wasm' | 'cpu';
  threads?: number;
  /** The folders the engine may read and write (see AllowedRoots); none given = no path is allowed. */
  allowedRoots?: AllowedRoots;
}

/** The workspace folders, the runs folder and paths the user picked in a dialog: every path a request names must
 *  resolve (symlinks followed) inside one of them. `trusted`: VS Code's workspace trust; untrusted = no training. */
export interface AllowedRoots {
  roots: string[];
  trusted: boolean;
}
/** Replaces the engine's allowed roots (a folder was added, a dialog picked a path, trust was granted). */
export const setAllowedRoots = new RequestType<AllowedRoots, void, void>('electra/setAllowedRoots');

export interface EngineInfo {
  /** Backend in use and why better ones were skipped, one line (e.g. "wasm (2 threads, SIMD); skipped gpu: …"). */
  backend: string;
  tier: 'gpu' | 'node' | 'native' | 'wasm' | 'cpu';
  threads: number;
  /** The engine's process id (the client shows it in its log; tests use it to kill the engine). */
  pid: number;
}
export const engineInfo = new RequestType0<EngineInfo, void>('electra/engineInfo');

/** A UTF-16 character range of a document, [start, end), as VS Code offsets count. */
export interface CharRange {
  start: number;
  end: number;
}
export interface HeatmapParams {
  uri: string;
  /** The document version the client has; the engine answers for this version or fails as stale. */
  version: number;
  /** A checkpoint folder (ours or a Hugging Face discriminator folder). */
  checkpoint: string;
  /** Score only the tokens overlapping this range (the client asks for the visible lines plus a margin first);
   *  the whole document when absent, which documents over HEATMAP_WHOLE_DOCUMENT_CHARS refuse. */
  range?: CharRange;
  /** After an edit, answer fast: run only the windows of text the edit changed, and give the tokens around
   *  it (same text, changed context) their last exact scores for now; `HeatmapResult.provisional` says how
   *  many windows are still to run, which the same request without this flag then runs. */
  provisional?: boolean;
  /** The editor's heatmap asks with this: after the document's next edit the engine scores this range again
   *  before being asked (once the typing pauses), so the answer is mostly ready when the request comes. */
  scoreAhead?: boolean;
}
export interface HeatmapToken {
  text: string;
  /** UTF-16 offsets into the document, as VS Code positions count. */
  start: number;
  end: number;
  logit: number;
  p: number;
}
export interface HeatmapResult {
  uri: string;
  version: number;
  tokens: HeatmapToken[];
  /** What `tokens` cover: the requested range, or [0, document length). */
  range: CharRange;
  /** Milliseconds the engine spent on this request. */
  elapsedMs: number;
  /** Windows this answer needed, and how many of them ran through the model: the others came from the
   *  engine's window cache (an edit re-scores only the windows it falls in). */
  windows: number;
  windowsScored: number;
  /** Windows not run yet because their tokens kept earlier scores (only when asked with `provisional`). */
  provisional: number;
  /** Windows of this version the engine ran before it was asked (scoreAhead), which this answer found cached. */
  scoredAhead: number;
}
export const heatmapScores = new RequestType<HeatmapParams, HeatmapResult, void>('electra/heatmapScores');
/** The editor hid its heatmap: the engine stops scoring edits ahead (scoreAhead) until it is asked again. */
export const heatmapHidden = new NotificationType0('electra/heatmapHidden');
/** Largest document the engine scores in one whole-document request; past it, clients ask for ranges. */
export const HEATMAP_WHOLE_DOCUMENT_CHARS = 200_000;
/** Largest document the heatmap scores at all (ranges included). */
export const HEATMAP_MAX_DOCUMENT_CHARS = 20_000_000;

/** The hover on a heatmap token: the token at `offset` of the document version. */
export interface TokenPredictionsParams {
  uri: string;
  version: number;
  checkpoint: string;
  offset: number;
}
export interface TokenPrediction {
  token: string;
  p: number;
}
export interface TokenPredictionsResult {
  /** The token at the offset with its P(replaced) and logit (the same numbers as heatmapScores); absent when no token is there. */
  token?: HeatmapToken;
  /** The generator's 5 most likely tokens for that position, with [MASK] in its place in the token's window. */
  top?: TokenPrediction[];
  /** Why `top` is absent (e.g. the checkpoint has no generator). */
  reason?: string;
}
export const tokenPredictions = new RequestType<TokenPredictionsParams, TokenPredictionsResult, void>('electra/tokenPredictions');

export interface CorruptParams {
  uri: string;
  version: number;
  checkpoint: string;
  seed: number;
  /** Character range of the passage in the document; the whole document when absent. */
  start?: number;
  end?: number;
}
/** One token of a corruption sample (also a samples.jsonl row's token and the `corrupt` command's output). */
export interface CorruptionToken {
  original: string;
  /** What the generator saw: "[MASK]" or the original (the 15% of selected positions kept as is). */
  input: string;
  selected: boolean;
  /** What the main model saw at this position. */
  sampled: string;
  /** Generator's probability of its sample (selected positions only). */
  sampleProb?: number;
  replaced: boolean;
  /** Discriminator's P(replaced), and its raw logit (absent for objectives without a replaced-token head). */
  p?: number;
  logit?: number;
}
/** A corruption token with its UTF-16 span in the text. */
export interface CorruptToken extends CorruptionToken {
  start: number;
  end: number;
}
export interface CorruptResult {
  tokens: CorruptToken[];
  /** Replaced tokens the discriminator caught, missed, and originals it flagged, at P > threshold. */
  counts: { truePositives: number; falsePositives: number; falseNegatives: number; trueNegatives: number };
  truncated: boolean;
}
export const corruptSample = new RequestType<CorruptParams, CorruptResult, void>('electra/corruptSample');

/** One line the engine wants in the client's log (the output channel), beyond LSP's own logging. */
export interface EngineLogParams {
  level: 'info' | 'warning' | 'error';
  message: string;
}
export const engineLog = new NotificationType<EngineLogParams>('electra/log');

/** Pretraining from the editor: the engine runs the CLI's trainer in a child process, so a long step never
 *  stalls heatmap requests and a crash of the run leaves the engine up. */
export interface PretrainParams {
  corpus: string[];
  out: string;
  preset?: 'tiny' | 'small' | 'base';
  steps?: number;
  batch?: number;
  seq?: number;
  saveEvery?: number;
  resume?: boolean;
  backend?: EngineInitOptions['backend'];
}
/** A run the engine started; `runDir` names it in runEvent notifications and in runStop. */
export interface RunStarted {
  runDir: string;
}
export const pretrainStart = new RequestType<PretrainParams, RunStarted, void>('electra/pretrainStart');

/** Fine-tuning from the editor: `electra-lab finetune` in a child process, as pretraining. The run is named by its
 *  output folder (default `<checkpoint>/finetune/<task>`); the results go to `<checkpoint>/finetune/<task>.json`. */
export interface FinetuneParams {
  checkpoint: string;
  train: string;
  dev: string;
  out?: string;
  /** Names the results file; default: the GLUE folder of `train` (SST-2/train.tsv → SST-2), else its stem. */
  taskName?: string;
  /** Column names or 0-based indices (TSV), keys (JSONL); absent = GLUE's usual headers. */
  textA?: string;
  textB?: string;
  label?: string;
  regression?: boolean;
  epochs?: number;
  lr?: number;
  batch?: number;
  seq?: number;
  /** `random-init`: also fine-tune the same way from a random encoder and record its score beside the result. */
  baseline?: 'random-init';
  backend?: EngineInitOptions['backend'];
}
export const finetuneStart = new RequestType<FinetuneParams, RunStarted, void>('electra/finetuneStart');

/** Stops a run (pretraining or fine-tuning) after its current step: pretraining writes a checkpoint first,
 *  fine-tuning evaluates the model so far and keeps the best epoch. */
export const runStop = new RequestType<{ runDir: string }, void, void>('electra/runStop');

/** What a run reports, as it happens (the trainer's events, plus `failed` with its one-line reason). */
export type RunEvent =
  | { kind: 'info' | 'warning'; message: string }
  | { kind: 'step'; step: number; totalSteps: number; loss: number }
  | { kind: 'metrics'; record: Record<string, number> }
  | { kind: 'checkpoint'; step: number; dir: string }
  /** `results`: fine-tuning's results JSON. */
  | { kind: 'done'; step: number; checkpoint: string; stopped: boolean; results?: string }
  /** `orphaned`: the engine that ran it restarted (the client says so, not the run): the run itself stops after
   *  its step and saves what it has, so it did not fail — it can be resumed. */
  | { kind: 'failed'; message: string; orphaned?: boolean };
export type RunEventParams = RunEvent & { runDir: string };
export const runEvent = new NotificationType<RunEventParams>('electra/runEvent');

// ─── Checkpoint evaluation (engine) ──────────────────────────────────────────────────────────────────

export interface EvaluateParams {
  checkpoint: string;
  /** Held-out text: absent = the corpus of the run that made the checkpoint (its run.json). */
  corpus?: string[];
  /** `heldout`: the part of the corpus pretraining never trained on; `all`: every example. */
  split?: 'heldout' | 'all';
  maxExamples?: number;
  /** Evaluate even when a cached result for the same settings exists. */
  force?: boolean;
}
/** Fine-tuning results found next to a checkpoint (written by `electra-lab finetune`). */
export interface FinetuneSummary {
  task: string;
  /** accuracy, f1, mcc, pearson, spearman, … — whichever the task's kind reports. */
  metrics: Record<string, number>;
}
export interface CheckpointEvaluation {
  checkpoint: string;
  step: number;
  /** Run folder name ("" for a checkpoint outside a run). */
  run: string;
  split: 'heldout' | 'all';
  corpus: string[];
  examples: number;
  tokens: number;
  /** loss, masked_lm_accuracy, sampled_masked_lm_accuracy, disc_accuracy/precision/recall/f1/auc, disc_loss, … */
  metrics: Record<string, number>;
  finetune: FinetuneSummary[];
  /** What the discriminator found of the words swapped in held-out text, as one plain sentence (absent when
   *  the checkpoint has no discriminator or the split has too few words). */
  injectedSummary?: string;
  /** True when served from the on-disk cache next to the checkpoint. */
  cached: boolean;
  evaluatedAt: string;
}
export const evaluateCheckpoint = new RequestType<EvaluateParams, CheckpointEvaluation, void>('electra/evaluateCheckpoint');
/** Progress of an evaluateCheckpoint request (examples done of at most `total`). */
export interface EvaluateProgressParams {
  checkpoint: string;
  done: number;
  total: number;
}
export const evaluateProgress = new NotificationType<EvaluateProgressParams>('electra/evaluateProgress');

// ─── Webviews: messages between a panel's host (extension) and its page ─────────────────────────────────
// Every message is validated on arrival by src/protocol-guards.ts (both directions): a webview is
// untrusted input for the host, and a panel must survive whatever it is sent.

/** A passage of an open document a panel shows. */
export interface TextSource {
  uri: string;
  /** Shown to the user (workspace-relative path). */
  fileName: string;
  version: number;
  /** UTF-16 character range of the passage. */
  start: number;
  end: number;
}
/** One row of a run's samples.jsonl. */
export interface RunSample {
  step: number;
  row: number;
  tokens: CorruptionToken[];
}

/** Lab panel: corruption samples and the whole-file heatmap. */
export type LabTab = 'corruption' | 'heatmap' | 'samples';
export type LabToWebview =
  | { type: 'corruption'; source: TextSource; checkpoint: string; seed: number; result: CorruptResult }
  | { type: 'heatmap'; source: TextSource; checkpoint: string; text: string; tokens: HeatmapToken[] }
  | { type: 'runSamples'; runDir: string; samples: RunSample[] }
  /** The setting electraLab.heatmap.threshold, in [0, 1]: after `ready`, and whenever the setting changes. */
  | { type: 'threshold'; threshold: number }
  /** Bring a tab to the front (Corrupt Selection shows the Corruption tab whichever was open). */
  | { type: 'showTab'; tab: LabTab }
  | { type: 'busy'; message: string }
  | { type: 'error'; message: string };
export type LabFromWebview =
  | { type: 'ready' }
  /** Corrupt the active editor's selection (or whole text) again with this seed. */
  | { type: 'resample'; seed: number }
  /** Score the active editor's whole text for the heatmap view. */
  | { type: 'refreshHeatmap' }
  /** Step through a run's logged samples (the newest run when absent). */
  | { type: 'loadRunSamples'; runDir?: string }
  /** Reveal and select a character range in its editor. */
  | { type: 'reveal'; uri: string; start: number; end: number }
  /** The user set the threshold slider (in [0, 1]): the host writes it to electraLab.heatmap.threshold. */
  | { type: 'setThreshold'; threshold: number };

/** Runs dashboard: curves from metrics.jsonl, live while a run trains. */
export interface RunSummary {
  runDir: string;
  name: string;
  /** run.json as written by the trainer. */
  config: Record<string, unknown>;
  status: 'running' | 'finished' | 'stopped' | 'failed' | 'unknown';
}
/** One metrics.jsonl line: step plus the logged numbers (loss, masked_lm_accuracy, disc_auc, tokens_per_second, learning_rate, …). */
export type MetricRecord = { step: number } & Record<string, number>;
export type RunsToWebview =
  /** `select`: runs the user asked to see (Show Runs Dashboard on a run); otherwise the page keeps its own choice. */
  | { type: 'runs'; runs: RunSummary[]; select?: string[] }
  /** Records of one run: all of them when `reset`, else lines appended since the last message. */
  | { type: 'metrics'; runDir: string; records: MetricRecord[]; reset: boolean }
  /** Evaluations of the run's checkpoints cached on disk (the evaluation panel's), all of them each time: drawn
   *  as markers on the training curves of the same metrics. */
  | { type: 'evaluations'; runDir: string; evaluations: CheckpointEvaluation[] }
  | { type: 'error'; message: string };
export type RunsFromWebview =
  | { type: 'ready' }
  /** The runs to chart together; the host answers with their metrics. */
  | { type: 'select'; runDirs: string[] }
  | { type: 'openConfig'; runDir: string };

/** Checkpoint evaluation panel. */
export interface CheckpointRef {
  dir: string;
  run: string;
  step: number;
}
export type EvalToWebview =
  | { type: 'checkpoints'; checkpoints: CheckpointRef[] }
  | { type: 'progress'; checkpoint: string; done: number; total: number }
  | { type: 'result'; evaluation: CheckpointEvaluation }
  | { type: 'failed'; checkpoint: string; message: string }
  /** The queue is empty (finished or cancelled). */
  | { type: 'idle' };
export type EvalFromWebview =
  | { type: 'ready' }
  | { type: 'evaluate'; checkpoints: string[]; split: 'heldout' | 'all'; corpus?: string[]; force?: boolean }
  /** Fine-tune each checkpoint on one task (asked once, in the editor), then evaluate it again with its results. */
  | { type: 'finetune'; checkpoints: string[]; split: 'heldout' | 'all' }
  | { type: 'cancel' }
  | { type: 'export'; format: 'csv' | 'json' }
  | { type: 'reveal'; checkpoint: string };

/**
 * Sweeps (`electra-lab sweep spec.json`, docs/experiments.md): the spec file as a user writes it, and the
 * summary.json a sweep writes. Typed here because the engine server will serve both to the editor.
 */
export const SWEEP_AXES = ['objective', 'training', 'genWidth', 'embeddingSharing', 'learningRate', 'seed'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];
export type SweepValue = string | number;
export interface SweepSpec {
  /** Files, folders or globs; relative paths are relative to the spec file. */
  corpus: string[];
  /** The sweep folder; default: `<spec name>.sweep` next to the spec file. */
  out?: string;
  /** Pretraining options every run shares (PretrainOptions names: preset, batchSize, seqLength, vocabSize, …). */
  base?: Record<string, SweepValue | boolean>;
  /** Equal steps, or equal training FLOPs (docs/compute.md): each run gets the steps its configuration affords. */
  budget: { steps: number } | { flops: number };
  /** The runs are every combination of the values given. */
  axes: Partial<Record<SweepAxis, SweepValue[]>>;
  /** Packing, held-out split and data order for every run (default: base.seed, else 42). */
  dataSeed?: number;
  /** The end-of-run evaluation, the same for every run. */
  eval?: { maxExamples?: number; batchSize?: number; injectedFraction?: number };
  /** A fine-tuning task every run's final checkpoint is fine-tuned on (GLUE-style TSV or JSONL, paths relative to
   *  the spec); its dev metric after the last epoch is the summary's first column, as the paper reports GLUE. */
  finetune?: SweepFinetune;
}
export interface SweepFinetune {
  train: string;
  dev: string;
  taskName?: string;
  textA?: string;
  textB?: string;
  label?: string;
  regression?: boolean;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  seqLength?: number;
  seed?: number;
}
export interface SweepRunResult {
  name: string;
  runDir: string;
  /** This run's value on every axis of the spec. */
  values: Partial<Record<SweepAxis, SweepValue>>;
  steps: number;
  flops: number;
  wall_time_s: number;
  /** `all` when the corpus was too small for a held-out split. */
  split: 'heldout' | 'all';
  examples: number;
  metrics: Record<string, number>;
}
export interface SweepGroup {
  /** The configuration: every axis value but the seed's. */
  label: string;
  values: Partial<Record<SweepAxis, SweepValue>>;
  runs: string[];
  /** Mean and spread (sample standard deviation, 0 for one seed) over the group's seeds. */
  metrics: Record<string, { mean: number; spread: number; n: number }>;
}
export interface SweepSummary {
  spec: string;
  budget: SweepSpec['budget'];
  runs: SweepRunResult[];
  groups: SweepGroup[];
  /** Column → the label of the group best at it. */
  best: Record<string, string>;
}

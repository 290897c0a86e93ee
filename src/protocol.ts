/**
 * THE contract between the extension host (client), the engine process (server) and, later, the
 * webviews: every custom request and notification, typed once, imported by all sides (as
 * rust-analyzer's lsp_ext.ts). Nothing crosses a process boundary untyped.
 *
 * Documents reach the engine through standard LSP text synchronisation (didOpen/didChange), so requests
 * name a document by URI and version and never carry its text.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/** initializationOptions the client sends. */
export interface EngineInitOptions {
  backend?: 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
  threads?: number;
}

export interface EngineInfo {
  /** Backend in use and why better ones were skipped, one line (e.g. "wasm (2 threads, SIMD); skipped gpu: …"). */
  backend: string;
  tier: 'gpu' | 'node' | 'wasm' | 'cpu';
  threads: number;
  /** The engine's process id (the client shows it in its log; tests use it to kill the engine). */
  pid: number;
}
export const engineInfo = new RequestType0<EngineInfo, void>('electra/engineInfo');

export interface HeatmapParams {
  uri: string;
  /** The document version the client has; the engine answers for this version or fails as stale. */
  version: number;
  /** A checkpoint folder (ours or a Hugging Face discriminator folder). */
  checkpoint: string;
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
  /** Milliseconds the engine spent (scoring, or 0 when served from its cache). */
  elapsedMs: number;
}
export const heatmapScores = new RequestType<HeatmapParams, HeatmapResult, void>('electra/heatmapScores');

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
export interface PretrainStarted {
  runDir: string;
}
export const pretrainStart = new RequestType<PretrainParams, PretrainStarted, void>('electra/pretrainStart');
/** Stops a run after its current step; it writes a checkpoint first. */
export const pretrainStop = new RequestType<{ runDir: string }, void, void>('electra/pretrainStop');

/** What a run reports, as it happens (the trainer's events, plus `failed` with its one-line reason). */
export type RunEvent =
  | { kind: 'info' | 'warning'; message: string }
  | { kind: 'step'; step: number; totalSteps: number; loss: number }
  | { kind: 'metrics'; record: Record<string, number> }
  | { kind: 'checkpoint'; step: number; dir: string }
  | { kind: 'done'; step: number; checkpoint: string; stopped: boolean }
  | { kind: 'failed'; message: string };
export type RunEventParams = RunEvent & { runDir: string };
export const runEvent = new NotificationType<RunEventParams>('electra/runEvent');

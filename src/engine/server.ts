/**
 * The engine as a language server: LSP wiring only. It owns every tensor; the editor reaches it through
 * the requests in src/protocol.ts and standard document synchronisation. It never imports `vscode`.
 */
import { createConnection, LSPErrorCodes, StreamMessageWriter, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, type CancellationToken } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { corruptSample, engineInfo, engineLog, evaluateCheckpoint, evaluateProgress, finetuneStart, heatmapHidden, heatmapScores, pretrainStart, runEvent, runStop, setAllowedRoots, tokenPredictions, type EngineInitOptions, type EngineInfo } from '../protocol';
import { initBackend, shutdownBackend } from './backend';
import { isUserError, UserError } from './errors';
import { ScoringCancelled } from './inference/heatmap';
import { corruptText } from './inference/corrupt';
import { OBJECTIVES } from './pretrain/objectives';
import { CheckpointCache } from './service/checkpoints';
import { HeatmapService } from './service/heatmap';
import { SCORE_AHEAD_QUIET_MS } from './service/score-ahead';
import { RunManager } from './service/runs';
import { EvaluationService } from './service/evaluations';
import { AllowedPaths } from './service/allowed-paths';
import { guards } from './request-guards';
import { ResyncingMessageReader } from './framing';

/** One line to stderr (the client's log for stdio engines) and, once connected, to the client's output channel. */
function logFramingError(line: string): void {
  process.stderr.write(`[electra engine] ${line}\n`);
  connection.sendNotification(engineLog, { level: 'error', message: line }).catch(() => undefined);
}
const connection = process.argv.includes('--stdio') ? stdioConnection() : createConnection(ProposedFeatures.all);

/** Over stdio, a reader that reads on past a bad frame (vscode-jsonrpc's stops for good), and stdout kept for LSP. */
function stdioConnection() {
  console.log = console.info = (...args: unknown[]) => console.error(...args);
  const exit = () => process.exit(shutdownReceived ? 0 : 1);
  process.stdin.on('end', exit).on('close', exit);
  return createConnection(ProposedFeatures.all, new ResyncingMessageReader(process.stdin, logFramingError), new StreamMessageWriter(process.stdout));
}
let shutdownReceived = false;
const documents = new TextDocuments(TextDocument);
const checkpoints = new CheckpointCache();
const heatmap = new HeatmapService(checkpoints);
let info: EngineInfo | undefined;
const evaluations = new EvaluationService(checkpoints);
/** Every path a request names must lie in the folders the client allowed (workspace, runs folder, dialog picks). */
const allowed = new AllowedPaths();
const runs = new RunManager((runDir, event) => connection.sendNotification(runEvent, { ...event, runDir }));

/** Runs a handler; a user error becomes a one-line response error, anything else too, never a crash. */
async function guarded<T>(work: () => Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await work();
  } catch (e) {
    // Cancelled or superseded: the client has moved on, nothing to log.
    if (e instanceof ScoringCancelled) return new ResponseError<void>(LSPErrorCodes.RequestCancelled, 'cancelled: the request was cancelled or the document changed');
    const message = isUserError(e) ? e.message : `internal error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
    connection.sendNotification(engineLog, { level: 'error', message });
    return new ResponseError<void>(1, message);
  }
}

function documentAt(uri: string, version: number): TextDocument {
  const doc = documents.get(uri);
  if (!doc) throw new UserError(`${uri} is not open in the engine — open it in the editor first`);
  if (doc.version !== version) throw new UserError(`${uri} changed (now version ${doc.version}, asked for ${version}) — the request is stale`);
  return doc;
}

connection.onInitialize(async (params) => {
  const options = (params.initializationOptions ?? {}) as EngineInitOptions;
  const report = await initBackend(options.backend ?? 'auto', { threads: options.threads });
  if (options.allowedRoots) await allowed.set(guards.setAllowedRoots(options.allowedRoots).roots, options.allowedRoots.trusted);
  info = { backend: report.describe(), tier: report.tier, threads: report.threads, pid: process.pid };
  return { capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } };
});

connection.onRequest(engineInfo, () => guarded(async () => info!));

connection.onRequest(setAllowedRoots, (raw) => guarded(async () => {
  const params = guards.setAllowedRoots(raw);
  await allowed.set(params.roots, params.trusted);
}));

/** A request is wanted until the client cancels it or the document moves past its version. */
function stillWanted(uri: string, version: number, token: CancellationToken): () => boolean {
  return () => token.isCancellationRequested || documents.get(uri)?.version !== version;
}

connection.onRequest(heatmapScores, (raw, token) => guarded(async () => {
  const params = guards.heatmapScores(raw);
  // The document first, as it is now: a change arriving during the path check then supersedes (cancels) this request.
  const doc = documentAt(params.uri, params.version);
  await allowed.ensure(params.checkpoint, 'checkpoint');
  return heatmap.score(doc, params, stillWanted(params.uri, params.version, token));
}));

connection.onRequest(tokenPredictions, (raw, token) => guarded(async () => {
  const params = guards.tokenPredictions(raw);
  // The document first, as it is now: a change arriving during the path check then supersedes (cancels) this request.
  const doc = documentAt(params.uri, params.version);
  await allowed.ensure(params.checkpoint, 'checkpoint');
  return heatmap.predictions(doc, params, stillWanted(params.uri, params.version, token));
}));

connection.onRequest(corruptSample, (raw) => guarded(async () => {
  const params = guards.corruptSample(raw);
  // The document first, as it is now: a change arriving during the path check then supersedes (cancels) this request.
  const doc = documentAt(params.uri, params.version);
  await allowed.ensure(params.checkpoint, 'checkpoint');
  const text = doc.getText();
  const start = params.start ?? 0;
  const checkpoint = await checkpoints.get(params.checkpoint, true);
  const result = corruptText(checkpoint.model, checkpoint.tokenizer, text.slice(start, params.end ?? text.length), {
    seed: params.seed, objective: OBJECTIVES[checkpoint.objective],
  });
  return { ...result, tokens: result.tokens.map((t) => ({ ...t, start: t.start + start, end: t.end + start })) };
}));

const allowCorpus = async (corpus: string[]) => {
  for (const entry of corpus) await allowed.ensureCorpus(entry, 'corpus');
};

connection.onRequest(evaluateCheckpoint, (raw, token) => guarded(async () => {
  const params = guards.evaluateCheckpoint(raw);
  await allowed.ensure(params.checkpoint, 'checkpoint');
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const progress = (done: number, total: number) => connection.sendNotification(evaluateProgress, { checkpoint: params.checkpoint, done, total });
  return evaluations.evaluate(params, progress, controller.signal, allowCorpus);
}));

connection.onRequest(pretrainStart, (raw) => guarded(async () => {
  const params = guards.pretrainStart(raw);
  allowed.ensureTrusted('Pretraining');
  await allowCorpus(params.corpus);
  await allowed.ensure(params.out, 'run folder');
  return { runDir: runs.startPretrain(params) };
}));
connection.onRequest(finetuneStart, (raw) => guarded(async () => {
  const params = guards.finetuneStart(raw);
  allowed.ensureTrusted('Fine-tuning');
  await allowed.ensure(params.checkpoint, 'checkpoint');
  await allowed.ensure(params.train, 'training file');
  await allowed.ensure(params.dev, 'dev file');
  if (params.out) await allowed.ensure(params.out, 'output folder');
  return { runDir: runs.startFinetune(params) };
}));
connection.onRequest(runStop, (raw) => guarded(async () => runs.stop(guards.runStop(raw).runDir)));

/** After an edit, once typing pauses, the heatmap scores ahead what the editor will ask (see HeatmapService.scoreAhead). */
const scoreAheadTimers = new Map<string, NodeJS.Timeout>();
documents.onDidChangeContent(({ document }) => {
  const { uri, version } = document;
  clearTimeout(scoreAheadTimers.get(uri));
  scoreAheadTimers.set(uri, setTimeout(() => {
    scoreAheadTimers.delete(uri);
    void heatmap.scoreAhead(document, () => documents.get(uri)?.version === version);
  }, SCORE_AHEAD_QUIET_MS));
});

documents.onDidClose((e) => {
  clearTimeout(scoreAheadTimers.get(e.document.uri));
  scoreAheadTimers.delete(e.document.uri);
  heatmap.forget(e.document.uri);
});

connection.onNotification(heatmapHidden, () => heatmap.stopScoringAhead());

connection.onShutdown(async () => {
  shutdownReceived = true;
  for (const timer of scoreAheadTimers.values()) clearTimeout(timer);
  scoreAheadTimers.clear();
  runs.dispose();
  await checkpoints.dispose();
  shutdownBackend();
});
connection.onExit(() => process.exit(0));

documents.listen(connection);
connection.listen();

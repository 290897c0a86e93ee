/**
 * The engine as a language server: LSP wiring only. It owns every tensor; the editor reaches it through
 * the requests in src/protocol.ts and standard document synchronisation. It never imports `vscode`.
 */
import { createConnection, LSPErrorCodes, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, type CancellationToken } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { corruptSample, engineInfo, engineLog, evaluateCheckpoint, evaluateProgress, finetuneStart, heatmapHidden, heatmapScores, pretrainStart, runEvent, runStop, tokenPredictions, type EngineInitOptions, type EngineInfo } from '../protocol';
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

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const checkpoints = new CheckpointCache();
const heatmap = new HeatmapService(checkpoints);
let info: EngineInfo | undefined;
const evaluations = new EvaluationService(checkpoints);
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
  info = { backend: report.describe(), tier: report.tier, threads: report.threads, pid: process.pid };
  return { capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } };
});

connection.onRequest(engineInfo, () => guarded(async () => info!));

/** A request is wanted until the client cancels it or the document moves past its version. */
function stillWanted(uri: string, version: number, token: CancellationToken): () => boolean {
  return () => token.isCancellationRequested || documents.get(uri)?.version !== version;
}

connection.onRequest(heatmapScores, (params, token) => guarded(async () => {
  const doc = documentAt(params.uri, params.version);
  return heatmap.score(doc, params, stillWanted(params.uri, params.version, token));
}));

connection.onRequest(tokenPredictions, (params, token) => guarded(async () => {
  const doc = documentAt(params.uri, params.version);
  return heatmap.predictions(doc, params, stillWanted(params.uri, params.version, token));
}));

connection.onRequest(corruptSample, (params) => guarded(async () => {
  const doc = documentAt(params.uri, params.version);
  const text = doc.getText();
  const start = params.start ?? 0;
  const checkpoint = await checkpoints.get(params.checkpoint, true);
  const result = corruptText(checkpoint.model, checkpoint.tokenizer, text.slice(start, params.end ?? text.length), {
    seed: params.seed, objective: OBJECTIVES[checkpoint.objective],
  });
  return { ...result, tokens: result.tokens.map((t) => ({ ...t, start: t.start + start, end: t.end + start })) };
}));

connection.onRequest(evaluateCheckpoint, (params, token) => guarded(async () => {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  return evaluations.evaluate(params, (done, total) => connection.sendNotification(evaluateProgress, { checkpoint: params.checkpoint, done, total }), controller.signal);
}));

connection.onRequest(pretrainStart, (params) => guarded(async () => ({ runDir: runs.startPretrain(params) })));
connection.onRequest(finetuneStart, (params) => guarded(async () => ({ runDir: runs.startFinetune(params) })));
connection.onRequest(runStop, (params) => guarded(async () => runs.stop(params.runDir)));

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
  for (const timer of scoreAheadTimers.values()) clearTimeout(timer);
  scoreAheadTimers.clear();
  runs.dispose();
  await checkpoints.dispose();
  shutdownBackend();
});
connection.onExit(() => process.exit(0));

documents.listen(connection);
connection.listen();

/**
 * The engine as a language server: LSP wiring only. It owns every tensor; the editor reaches it through
 * the requests in src/protocol.ts and standard document synchronisation. It never imports `vscode`.
 */
import { createConnection, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { corruptSample, engineInfo, engineLog, evaluateCheckpoint, evaluateProgress, heatmapScores, pretrainStart, pretrainStop, runEvent, type EngineInitOptions, type EngineInfo, type HeatmapResult } from '../protocol';
import { initBackend, shutdownBackend } from './backend';
import { isUserError, UserError } from './errors';
import { scoreText } from './inference/heatmap';
import { corruptText } from './inference/corrupt';
import { OBJECTIVES } from './pretrain/objectives';
import { CheckpointCache } from './service/checkpoints';
import { RunManager } from './service/runs';
import { EvaluationService } from './service/evaluations';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const checkpoints = new CheckpointCache();
/** Scores per document version and checkpoint: a repeated request for an unchanged document is free. */
const heatmapCache = new Map<string, HeatmapResult>();
let info: EngineInfo | undefined;
/** Whole-document scoring past this size would keep the engine busy for minutes: refuse it clearly instead. */
const MAX_HEATMAP_CHARS = 200_000;
const evaluations = new EvaluationService(checkpoints);
const runs = new RunManager((runDir, event) => connection.sendNotification(runEvent, { ...event, runDir }));

/** Runs a handler; a user error becomes a one-line response error, anything else too, never a crash. */
async function guarded<T>(work: () => Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await work();
  } catch (e) {
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

connection.onRequest(heatmapScores, (params) => guarded(async () => {
  const doc = documentAt(params.uri, params.version);
  const key = `${params.uri}\n${params.version}\n${params.checkpoint}`;
  const cached = heatmapCache.get(key);
  if (cached) return { ...cached, elapsedMs: 0 };
  const length = doc.getText().length;
  if (length > MAX_HEATMAP_CHARS) {
    throw new UserError(`the document has ${length.toLocaleString('en')} characters; the heatmap scores documents up to ${MAX_HEATMAP_CHARS.toLocaleString('en')} — split it, or score a part with the CLI (electra-lab heatmap)`);
  }
  const checkpoint = await checkpoints.get(params.checkpoint);
  const started = performance.now();
  const tokens = scoreText(checkpoint.model, checkpoint.tokenizer, doc.getText());
  const result: HeatmapResult = { uri: params.uri, version: params.version, tokens, elapsedMs: performance.now() - started };
  for (const k of heatmapCache.keys()) if (k.startsWith(`${params.uri}\n`)) heatmapCache.delete(k);
  heatmapCache.set(key, result);
  return result;
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

connection.onRequest(pretrainStart, (params) => guarded(async () => ({ runDir: runs.start(params) })));
connection.onRequest(pretrainStop, (params) => guarded(async () => runs.stop(params.runDir)));

documents.onDidClose((e) => {
  for (const k of heatmapCache.keys()) if (k.startsWith(`${e.document.uri}\n`)) heatmapCache.delete(k);
});

connection.onShutdown(async () => {
  runs.dispose();
  await checkpoints.dispose();
  shutdownBackend();
});
connection.onExit(() => process.exit(0));

documents.listen(connection);
connection.listen();

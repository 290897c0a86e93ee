import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  HEATMAP_MAX_DOCUMENT_CHARS, HEATMAP_WHOLE_DOCUMENT_CHARS,
  type HeatmapParams, type HeatmapResult, type TokenPredictionsParams, type TokenPredictionsResult,
} from '../../protocol';
import type { LoadedCheckpoint } from '../checkpoint/model-io';
import { UserError } from '../errors';
import { assertDiscriminator, scoreAsync, ScoringCancelled, windowContent } from '../inference/heatmap';
import { layoutText, type DocumentLayout } from '../inference/layout';
import { generatorTopK, tokenAt } from '../inference/predictions';
import { LogitsCache } from '../inference/logits-cache';
import type { WordPieceTokenizer } from '../tokenizer';
import type { CheckpointCache } from './checkpoints';
import { AskedRanges } from './score-ahead';

/**
 * The heatmap behind the engine's requests: one layout per open document version (tokens and chunks,
 * shared by every range and hover on that version) and one window cache across documents and versions,
 * so an edit runs only the windows it touched through the model. After an edit it scores ahead what the
 * editor will ask (scoreAhead), so the model runs while the editor's debounce waits.
 */
export class HeatmapService {
  private readonly asked = new AskedRanges();
  /** Windows of a document's current version scored ahead of the editor's request, reported with the next answer. */
  private readonly aheadCounts = new Map<string, { version: number; windows: number }>();
  /** Every request counts here; scoring ahead gives way (between windows) as soon as one arrives. */
  private requests = 0;
  private readonly windows = new LogitsCache();
  /** Each chunk's last exact scores: what its tokens show while an edit next to it is re-scored. */
  private readonly chunks = new LogitsCache();
  private readonly layouts = new Map<string, { version: number; tokenizer: WordPieceTokenizer; content: number; layout: DocumentLayout }>();
  /** A loaded checkpoint object is one set of weights: a reload (file changed) gets a new key. */
  private readonly modelKeys = new WeakMap<LoadedCheckpoint, string>();
  private nextModel = 0;

  constructor(private readonly checkpoints: CheckpointCache) {}

  async score(doc: TextDocument, params: HeatmapParams, cancelled: () => boolean): Promise<HeatmapResult> {
    this.requests++;
    if (params.scoreAhead) this.asked.remember(params, doc.getText());
    const result = await this.run(doc, params, cancelled);
    const ahead = this.aheadCounts.get(doc.uri);
    this.aheadCounts.delete(doc.uri); // reported once
    return { ...result, scoredAhead: ahead?.version === doc.version ? ahead.windows : 0 };
  }

  /**
   * After an edit, runs what the editor asked last time (moved with the text), in its two steps — the edited
   * chunks, then their neighbours — before it asks again; the windows land in the cache, where its request
   * finds them. Stops between windows once any request arrives or the document changes (`current` turns false).
   * Failures are left for the editor's own request to meet and report.
   */
  async scoreAhead(doc: TextDocument, current: () => boolean): Promise<void> {
    const next = this.asked.next(doc.uri, doc.version, doc.getText());
    if (!next) return;
    const ticket = this.requests;
    const version = doc.version;
    const onScored = (windows: number) => {
      const known = this.aheadCounts.get(doc.uri);
      this.aheadCounts.set(doc.uri, { version, windows: (known?.version === version ? known.windows : 0) + windows });
    };
    try {
      for (const provisional of [true, false]) {
        await this.run(doc, { uri: doc.uri, version, checkpoint: next.checkpoint, range: next.range, provisional }, () => !current() || this.requests !== ticket, onScored, 1);
      }
    } catch {
      // Cancelled, or a problem the editor's request will report in its own words.
    }
  }

  /** `batchSize` 1 when scoring ahead: a request then waits for one window at most, not a batch of them. */
  private async run(doc: TextDocument, params: HeatmapParams, cancelled: () => boolean, onScored?: (windows: number) => void, batchSize?: number): Promise<Omit<HeatmapResult, 'scoredAhead'>> {
    const started = performance.now();
    const length = checkText(doc);
    if (!params.range && length > HEATMAP_WHOLE_DOCUMENT_CHARS) {
      throw new UserError(`the document has ${length.toLocaleString('en')} characters; whole-document heatmaps go up to ${HEATMAP_WHOLE_DOCUMENT_CHARS.toLocaleString('en')} — ask for a range (the editor scores the visible lines), or use the CLI (electra-lab heatmap)`);
    }
    const checkpoint = await this.checkpoints.get(params.checkpoint);
    // Closed or edited while the checkpoint loaded: keep no layout for a version nobody will ask about again.
    if (cancelled()) throw new ScoringCancelled();
    assertDiscriminator(checkpoint.model);
    const content = windowContent(checkpoint.model);
    const layout = this.layoutOf(doc, checkpoint.tokenizer, content);
    const range = params.range ? { start: Math.max(0, params.range.start), end: Math.min(length, params.range.end) } : { start: 0, end: length };
    const outcome = await scoreAsync(checkpoint.model, checkpoint.tokenizer, {
      layout, content, range: params.range ? range : undefined, cache: this.windows, modelKey: this.modelKey(checkpoint),
      chunks: this.chunks, provisional: params.provisional, onScored, batchSize,
    }, cancelled);
    return {
      uri: params.uri, version: params.version, tokens: outcome.tokens, range, elapsedMs: performance.now() - started,
      windows: outcome.windows, windowsScored: outcome.windowsScored, provisional: outcome.provisional,
    };
  }

  async predictions(doc: TextDocument, params: TokenPredictionsParams, cancelled: () => boolean): Promise<TokenPredictionsResult> {
    this.requests++;
    checkText(doc);
    const checkpoint = await this.checkpoints.get(params.checkpoint);
    assertDiscriminator(checkpoint.model);
    const content = windowContent(checkpoint.model);
    const layout = this.layoutOf(doc, checkpoint.tokenizer, content);
    const index = tokenAt(layout, params.offset);
    if (index < 0) return { reason: 'no token at this position' };
    const span = { start: layout.starts[index], end: layout.ends[index] };
    const scored = await scoreAsync(checkpoint.model, checkpoint.tokenizer, {
      layout, content, range: span, cache: this.windows, modelKey: this.modelKey(checkpoint), chunks: this.chunks,
    }, cancelled);
    const token = scored.tokens.find((t) => t.start === span.start && t.end === span.end);
    if (!checkpoint.model.generator) {
      return { token, reason: 'this checkpoint has no generator (generator.safetensors), so there are no predictions — a Hugging Face discriminator folder has none; checkpoints from ELECTRA Lab pretraining do' };
    }
    if (cancelled()) return { token };
    return { token, top: generatorTopK(checkpoint.model, checkpoint.tokenizer, layout, index, content) };
  }

  /** The editor hid its heatmap: score nothing ahead until it asks again. */
  stopScoringAhead(): void {
    this.asked.clear();
  }

  forget(uri: string): void {
    this.layouts.delete(uri);
    this.asked.forget(uri);
    this.aheadCounts.delete(uri);
  }

  private layoutOf(doc: TextDocument, tokenizer: WordPieceTokenizer, content: number): DocumentLayout {
    const known = this.layouts.get(doc.uri);
    if (known && known.version === doc.version && known.tokenizer === tokenizer && known.content === content) return known.layout;
    const layout = layoutText(tokenizer, doc.getText(), content);
    this.layouts.set(doc.uri, { version: doc.version, tokenizer, content, layout });
    return layout;
  }

  private modelKey(checkpoint: LoadedCheckpoint): string {
    let key = this.modelKeys.get(checkpoint);
    if (!key) this.modelKeys.set(checkpoint, (key = `${checkpoint.dir}#${this.nextModel++}`));
    return key;
  }
}

/** Refuses what is not text or too big to score, in one line naming the fix. Returns the length. */
function checkText(doc: TextDocument): number {
  const text = doc.getText();
  if (text.length > HEATMAP_MAX_DOCUMENT_CHARS) {
    throw new UserError(`the document has ${text.length.toLocaleString('en')} characters; the heatmap scores documents up to ${HEATMAP_MAX_DOCUMENT_CHARS.toLocaleString('en')} — score a part of it with the CLI (electra-lab heatmap)`);
  }
  if (text.includes('\u0000')) throw new UserError('the document looks binary (it holds NUL characters); the heatmap scores text only');
  return text.length;
}

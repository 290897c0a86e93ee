/**
 * Packs tokenised documents into ELECTRA pretraining examples, following the ExampleBuilder of
 * google-research/electra build_pretraining_dataset.py:
 *
 *  - tokenised lines of a document accumulate until they reach the target length;
 *  - with probability singleSegmentProb (0.1) the example is one segment  [CLS] A [SEP];
 *    otherwise it is split at a line boundary into  [CLS] A [SEP] B [SEP]  where A aims for
 *    about half the room (a line that would push A past that half goes to A 50% of the time);
 *  - token types: 0 for [CLS] A [SEP], 1 for B [SEP];
 *  - with probability shortSeqProb (0.05) the next example gets a random target length in
 *    [5, maxSeqLength] instead of maxSeqLength;
 *  - a document's leftover goes out as a (shorter) example when the document ends.
 *
 * Differences from the reference, chosen so no text is thrown away:
 *  - instead of truncating the overflow of the last line, the example is filled exactly to its
 *    target length and the rest of that line starts the next example (of the same document);
 *  - lines stay in order (the reference can move a later short line into segment A);
 *  - a line too long to leave room for segment B is split inside the line.
 * Every token of every line therefore appears exactly once, in order, across the examples.
 * Deterministic given (input, encoder, options).
 */
import { Rng } from './rng';

/** What packing needs from a tokenizer (WordPieceTokenizer satisfies it). */
export interface TokenIdEncoder {
  encodeIds(text: string): number[];
  readonly specialIds: { cls: number; sep: number; pad: number };
}

/** One unpadded pretraining example. */
export interface PackedExample {
  /** [CLS] A [SEP] or [CLS] A [SEP] B [SEP]. */
  inputIds: Int32Array;
  /** 0 for [CLS] A [SEP], 1 for B [SEP]. */
  tokenTypeIds: Int32Array;
  /** inputIds.length, ≤ maxSeqLength. */
  length: number;
}

export interface PackingOptions {
  maxSeqLength: number;
  seed: number;
  /** Probability of a single-segment example (default 0.1). */
  singleSegmentProb?: number;
  /** Probability that an example gets a random shorter target length (default 0.05). */
  shortSeqProb?: number;
}

/** A document (or part of one) as produced by readDocuments. */
export interface PackingDocument {
  file: string;
  docIndex: number;
  lines: string[];
  /** More lines of the same document follow in the next item: keep building across it. */
  continues?: boolean;
}

export type SourcedExample = PackedExample & { source: string /* `${file}#${docIndex}` */ };

/** The smallest supported maxSeqLength: [CLS] a [SEP] b [SEP]. */
export const MIN_SEQ_LENGTH = 5;

/** FIFO of tokenised lines with a read offset into the head line (no copying on partial takes). */
class LineQueue {
  private lines: number[][] = [];
  private head = 0; // index of the head line
  private offset = 0; // tokens of the head line already taken
  total = 0;

  push(ids: number[]): void {
    if (ids.length === 0) return;
    this.lines.push(ids);
    this.total += ids.length;
  }

  get empty(): boolean {
    return this.total === 0;
  }

  /** Remaining tokens of the head line. */
  headLength(): number {
    return this.lines[this.head].length - this.offset;
  }

  /** Moves up to `n` tokens (crossing line boundaries) into `out`. */
  takeTokens(out: number[], n: number): void {
    while (n > 0 && this.total > 0) {
      const line = this.lines[this.head];
      const k = Math.min(n, line.length - this.offset);
      for (let i = 0; i < k; i++) out.push(line[this.offset + i]);
      this.offset += k;
      this.total -= k;
      n -= k;
      if (this.offset === line.length) this.advance();
    }
  }

  /** Moves the rest of the head line into `out`. */
  takeLine(out: number[]): void {
    this.takeTokens(out, this.headLength());
  }

  private advance(): void {
    this.head++;
    this.offset = 0;
    if (this.head > 64 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.lines.length) {
      this.lines = [];
      this.head = 0;
    }
  }
}

/** Builds examples from a stream of tokenised lines; one instance per packing run. */
export class ExampleBuilder {
  private readonly maxLen: number;
  private readonly singleProb: number;
  private readonly shortProb: number;
  private readonly rng: Rng;
  private readonly cls: number;
  private readonly sep: number;
  private target: number;
  private queue = new LineQueue();

  constructor(specialIds: { cls: number; sep: number }, options: PackingOptions) {
    const { maxSeqLength } = options;
    if (!Number.isInteger(maxSeqLength) || maxSeqLength < MIN_SEQ_LENGTH) {
      throw new RangeError(`maxSeqLength must be an integer ≥ ${MIN_SEQ_LENGTH}, got ${maxSeqLength}`);
    }
    this.maxLen = maxSeqLength;
    this.target = maxSeqLength;
    this.singleProb = options.singleSegmentProb ?? 0.1;
    this.shortProb = options.shortSeqProb ?? 0.05;
    this.rng = new Rng(options.seed).fork('packing');
    this.cls = specialIds.cls;
    this.sep = specialIds.sep;
  }

  /** Adds one tokenised line; returns the examples that became complete. */
  addLine(ids: number[], out: PackedExample[]): void {
    this.queue.push(ids);
    // Enough content to fill a single-segment example of the current target length.
    while (this.queue.total >= this.target - 2) out.push(this.createExample());
  }

  /** Ends the current document: its leftover becomes an example. */
  endDocument(out: PackedExample[]): void {
    while (!this.queue.empty) out.push(this.createExample());
  }

  private createExample(): PackedExample {
    const q = this.queue;
    const target = this.target;
    const a: number[] = [];
    const b: number[] = [];
    if (this.rng.nextFloat() < this.singleProb) {
      q.takeTokens(a, target - 2);
    } else {
      const room = target - 3; // content tokens of [CLS] A [SEP] B [SEP]
      const aTarget = Math.floor(room / 2);
      if (q.headLength() >= room) {
        // One line fills the whole example: split inside it so there still are two segments.
        q.takeTokens(a, aTarget);
      } else {
        q.takeLine(a);
        while (!q.empty) {
          const next = q.headLength();
          if (a.length + next >= room) break; // B must get at least one token
          if (a.length + next < aTarget || (a.length < aTarget && this.rng.nextFloat() < 0.5)) {
            q.takeLine(a);
          } else {
            break;
          }
        }
      }
      q.takeTokens(b, room - a.length);
    }

    if (this.rng.nextFloat() < this.shortProb) {
      this.target = this.rng.nextIntBetween(MIN_SEQ_LENGTH, this.maxLen);
    } else {
      this.target = this.maxLen;
    }
    return this.makeExample(a, b);
  }

  private makeExample(a: number[], b: number[]): PackedExample {
    const length = a.length + 2 + (b.length > 0 ? b.length + 1 : 0);
    const inputIds = new Int32Array(length);
    const tokenTypeIds = new Int32Array(length);
    let p = 0;
    inputIds[p++] = this.cls;
    for (const t of a) inputIds[p++] = t;
    inputIds[p++] = this.sep;
    if (b.length > 0) {
      const start = p;
      for (const t of b) inputIds[p++] = t;
      inputIds[p++] = this.sep;
      tokenTypeIds.fill(1, start, p);
    }
    return { inputIds, tokenTypeIds, length };
  }
}

/**
 * Tokenises and packs documents into pretraining examples, in order. Examples never span two
 * documents; a document split into parts (`continues: true`) is packed as one document.
 * `source` is `${file}#${docIndex}`; all examples of one source come out consecutively.
 */
export async function* packExamples(
  docs: AsyncIterable<PackingDocument>,
  encoder: TokenIdEncoder,
  options: PackingOptions,
): AsyncGenerator<SourcedExample> {
  const builder = new ExampleBuilder(encoder.specialIds, options);
  const ready: PackedExample[] = [];
  let openSource: string | null = null;

  for await (const doc of docs) {
    const source = `${doc.file}#${doc.docIndex}`;
    if (openSource !== null && openSource !== source) {
      // Previous document said it continues but a different one arrived: close it anyway.
      builder.endDocument(ready);
      for (const ex of ready) yield { ...ex, source: openSource };
      ready.length = 0;
    }
    openSource = source;
    for (const line of doc.lines) {
      builder.addLine(encoder.encodeIds(line), ready);
      if (ready.length > 0) {
        for (const ex of ready) yield { ...ex, source };
        ready.length = 0;
      }
    }
    if (!doc.continues) {
      builder.endDocument(ready);
      for (const ex of ready) yield { ...ex, source };
      ready.length = 0;
      openSource = null;
    }
  }
  if (openSource !== null) {
    builder.endDocument(ready);
    for (const ex of ready) yield { ...ex, source: openSource };
  }
}

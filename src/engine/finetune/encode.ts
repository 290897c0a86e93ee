import type { WordPieceTokenizer } from '../tokenizer';
import type { SequenceLike } from '../pretrain/batch';
import type { RawExample } from './tasks';

export interface EncodedExample extends SequenceLike {
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  length: number;
}

export interface EncodedSplit {
  sequences: EncodedExample[];
  /** Word pieces that were [UNK], over all text pieces (not [CLS]/[SEP]). */
  unknownFraction: number;
  /** Examples cut to fit the sequence length. */
  truncated: number;
}

/**
 * BERT's input layout: `[CLS] a [SEP]` (type ids 0) or `[CLS] a [SEP] b [SEP]` (b's part type 1). A pair too
 * long loses tokens from the end of the longer side first, as google-research/electra's _truncate_seq_pair.
 */
export function encodeExamples(examples: readonly RawExample[], tokenizer: WordPieceTokenizer, maxLength: number): EncodedSplit {
  const { cls, sep, unk } = tokenizer.specialIds;
  let pieces = 0, unknown = 0, truncated = 0;
  const sequences = examples.map((e) => {
    const a = tokenizer.encodeIds(e.a);
    const b = e.b === undefined ? undefined : tokenizer.encodeIds(e.b);
    for (const id of b ? [...a, ...b] : a) {
      pieces++;
      if (id === unk) unknown++;
    }
    const budget = maxLength - (b ? 3 : 2);
    if (a.length + (b?.length ?? 0) > budget) truncated++;
    while (a.length + (b?.length ?? 0) > budget) {
      if (b && b.length > a.length) b.pop();
      else a.pop();
    }
    const ids = [cls, ...a, sep, ...(b ? [...b, sep] : [])];
    const types = ids.map((_, i) => (i < a.length + 2 ? 0 : 1));
    return { inputIds: Int32Array.from(ids), tokenTypeIds: Int32Array.from(types), length: ids.length };
  });
  return { sequences, unknownFraction: pieces ? unknown / pieces : 0, truncated };
}

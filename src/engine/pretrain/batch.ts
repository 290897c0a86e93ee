/** A padded batch on the JS side, row-major [size, length]. Typed arrays, so building it costs no tensors. */
export interface Batch {
  size: number;
  length: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Float32Array;
}

export interface SequenceLike {
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
  length: number;
}

/** Pads sequences with `padId` to the longest one (or `length`), so short batches cost less. */
export function padBatch(sequences: readonly SequenceLike[], padId: number, length?: number): Batch {
  const size = sequences.length;
  const L = length ?? Math.max(1, ...sequences.map((s) => s.length));
  const inputIds = new Int32Array(size * L).fill(padId);
  const tokenTypeIds = new Int32Array(size * L);
  const attentionMask = new Float32Array(size * L);
  sequences.forEach((s, b) => {
    const n = Math.min(s.length, L);
    for (let i = 0; i < n; i++) {
      inputIds[b * L + i] = s.inputIds[i];
      tokenTypeIds[b * L + i] = s.tokenTypeIds[i];
      attentionMask[b * L + i] = 1;
    }
  });
  return { size, length: L, inputIds, tokenTypeIds, attentionMask };
}

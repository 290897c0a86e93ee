import type { ElectraConfig } from '../model/config';

/**
 * Forward FLOPs (multiply-adds × 2) of one sequence through an encoder: the dense layers, the two
 * attention matmuls, and the embedding projection. Training costs ~3× forward (backward is ~2×).
 */
export function encoderForwardFlops(c: ElectraConfig, length: number): number {
  const H = c.hidden_size, I = c.intermediate_size, E = c.embedding_size;
  const perTokenDense = 2 * (4 * H * H + 2 * H * I) * c.num_hidden_layers + (E !== H ? 2 * E * H : 0);
  const attention = 2 * 2 * length * H * c.num_hidden_layers;
  return length * (perTokenDense + attention);
}

/** One training step's FLOPs: generator encoder + its vocab head at the masked slots, main encoder + its head (counted as the discriminator's; the MLM ablations' vocab heads cost more). */
export function electraStepFlops(disc: ElectraConfig, gen: ElectraConfig | undefined, batch: number, length: number, slots: number): number {
  const mlmHead = (c: ElectraConfig, rows: number) => rows * 2 * (c.hidden_size * c.embedding_size + c.embedding_size * c.vocab_size);
  const discHead = length * 2 * (disc.hidden_size * disc.hidden_size + disc.hidden_size);
  const generator = gen ? encoderForwardFlops(gen, length) + mlmHead(gen, slots / batch) : 0;
  return 3 * batch * (generator + encoderForwardFlops(disc, length) + discHead);
}

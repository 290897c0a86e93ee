import type { ElectraConfig } from '../model/config';
import type { Objective } from './objectives';

/**
 * FLOPs of the matrix products a step runs (docs/compute.md derives each term). A product of [m, k] by [k, n]
 * costs 2·m·k·n (a multiply and an add per term). Elementwise work (GELU, LayerNorm, softmax, dropout) is left
 * out: it is a few % of the total and no two tools count it alike, while the products are unambiguous and can be
 * checked against the kernels that ran (test/flops.test.ts counts them).
 */

/** Forward FLOPs of one sequence through an encoder: embedding projection, Q/K/V/output, the FFN, and attention's
 *  two products (scores = QKᵀ and probs·V, each L·L·H multiply-adds per layer). */
export function encoderForwardFlops(c: ElectraConfig, length: number): number {
  const H = c.hidden_size, I = c.intermediate_size, E = c.embedding_size;
  const perTokenDense = 2 * (4 * H * H + 2 * H * I) * c.num_hidden_layers + (E !== H ? 2 * E * H : 0);
  const attention = 2 * 2 * length * H * c.num_hidden_layers;
  return length * (perTokenDense + attention);
}

/** The generator head per predicted row: dense H→E, then the tied output layer E→V. */
export function mlmHeadFlops(c: ElectraConfig, rows: number): number {
  return rows * 2 * (c.hidden_size * c.embedding_size + c.embedding_size * c.vocab_size);
}

/** The discriminator head per token: dense H→H, then H→1. */
export function discriminatorHeadFlops(c: ElectraConfig, rows: number): number {
  return rows * 2 * (c.hidden_size * c.hidden_size + c.hidden_size);
}

/** A batch as the step computes it: every row is `length` long (padding is computed too), `slots` prediction
 *  slots per row (unused slots are computed with weight 0). */
export interface StepShape {
  batch: number;
  length: number;
  slots: number;
}

/** Forward FLOPs of one step, split by network. The main network's head depends on the objective. */
export function stepForwardFlops(objective: Objective, main: ElectraConfig, generator: ElectraConfig | undefined, s: StepShape): { generator: number; main: number } {
  const tokens = s.batch * s.length;
  const predicted = s.batch * s.slots;
  const gen = objective.usesGenerator && generator
    ? s.batch * encoderForwardFlops(generator, s.length) + mlmHeadFlops(generator, predicted) : 0;
  let head: number;
  switch (objective.main) {
    case 'rtd-all':
    case 'rtd-masked': head = discriminatorHeadFlops(main, tokens); break; // ELECTRA 15% scores every token, weighs 15%
    case 'mlm-masked': head = mlmHeadFlops(main, predicted); break;
    case 'mlm-all-copy': head = mlmHeadFlops(main, tokens) + discriminatorHeadFlops(main, tokens); break;
  }
  return { generator: gen, main: s.batch * encoderForwardFlops(main, s.length) + head };
}

/** How a step trains (two-stage and adversarial training change what runs backward; see step.ts). */
export interface StepMode {
  phase?: 'joint' | 'generator' | 'discriminator';
  generatorUpdate?: 'mlm' | 'adversarial';
}

/**
 * Training FLOPs of one step: forward + backward, backward = 2× forward (each product y = xW has two in the
 * backward pass, dx = dy·Wᵀ and dW = xᵀ·dy). The generator's samples reach the discriminator as ids, so no
 * gradient crosses between the networks. Two-stage training's first stage runs the generator alone (3×); its
 * second runs the frozen generator forward only (1×) and trains the discriminator (3×). The adversarial generator
 * runs forward twice (to sample, then for the policy gradient with the same dropout) and backward once (4×).
 */
export function trainingStepFlops(objective: Objective, main: ElectraConfig, generator: ElectraConfig | undefined, s: StepShape, mode: StepMode = {}): number {
  const f = stepForwardFlops(objective, main, generator, s);
  const phase = mode.phase ?? 'joint';
  if (phase === 'generator') return 3 * f.generator;
  if (phase === 'discriminator') return f.generator + 3 * f.main;
  return (mode.generatorUpdate === 'adversarial' ? 4 : 3) * f.generator + 3 * f.main;
}

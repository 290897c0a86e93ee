/**
 * WebAssembly SIMD kernels that run directly on tfjs-backend-wasm's heap (they import its memory).
 *
 * WHY (measured on this kind of machine, ELECTRA-Small step at batch 8 × 128):
 *  - Data movement: tfjs-backend-wasm's Transpose is a scalar loop with one strided store per element
 *    (~4 ns/element on [1024,256], ~9 on [1024,1024]); JS loops over the heap are not much better (~3-5
 *    ns: the heap is a growable SharedArrayBuffer, so each typed-array access re-checks its length). A
 *    step moves ~100M elements through transposes. Here: 4×4 register transposes in 32×32 tiles; row
 *    gathers and the attention head split/merge as memory.copy runs.
 *  - Elementwise: the stock Erf, Exp and Log kernels cost ~13, ~5 and ~9 ns/element, and a GELU or
 *    LayerNorm built from tfjs ops runs 5-80 kernels (each a pass over memory plus ~50 µs of tfjs
 *    bookkeeping under autodiff). One fused SIMD pass does each forward and each backward; likewise the
 *    generator's softmax cross-entropy and Gumbel-max sampling over [slots, 30522] logits.
 *
 * The module is assembled from bytes at start-up (wasm-asm.ts); `simdKernels()` returns undefined when
 * it cannot run (no Memory object, no SIMD, any instantiation error) and callers fall back to tfjs ops
 * or JS. Elementwise kernels do the 4-aligned bulk of their data and leave the last n % 4 elements to the
 * caller (fused-ops.ts, wasm-kernels.ts), which keeps the assembly simple; row kernels do whole rows.
 *
 * Numerics: float32 throughout, as tfjs' own kernels, except the column and softmax sums, which
 * accumulate in float64 (as the JS sums they replace did). erf is XLA's float32 rational approximation
 * (|error| < 5e-7, within a few ulps; tfjs-cpu's own erf is off by up to 2e-7); exp and log are Cephes'
 * expf and logf polynomials (~1 ulp).
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import {
  type Code, type Func, F32, I32, V128,
  f32, f32x4, f64, f64x2, fn, forRange, get, i32, i32x4, ifThen, memory, moduleBytes, select, set, v128,
} from './wasm-asm';

/** Exported kernel signatures (all arguments i32; addresses are byte offsets into the heap). */
export interface SimdKernels {
  /** dst[c·R + r] = src[r·C + c] on the leading (R & ~3)×(C & ~3) block of an R×C matrix of 4-byte elements. */
  transpose4(src: number, dst: number, rows: number, cols: number): void;
  /** dst[a][c][b][:] = src[a][b][c][:] for an [A,B,C,D] array of 4-byte elements (runs of D copied whole). */
  permuteMiddle(src: number, dst: number, A: number, B: number, C: number, D: number): void;
  /** Row gather: dst row i = src row indices[i] (indices: i32 at byte offset `indices`), rows of rowBytes. */
  gatherRows(src: number, indices: number, dst: number, count: number, rowBytes: number): void;
  /** f32 dst[c] = Σ_r src[r·cols + c] (float64 accumulation) for c < (cols & ~3). */
  colSum(src: number, dst: number, rows: number, cols: number): void;
  /** GELU (erf form) of the first n & ~3 elements. */
  gelu(x: number, y: number, n: number): void;
  /** dx = dy · GELU'(x) for the first n & ~3 elements. */
  geluGrad(dy: number, x: number, dx: number, n: number): void;
  /** y = x · scale where hash32(i·φ ⊕ key) ^ 2^31 ≥ threshold (signed), else 0, for the first n & ~3 elements. */
  dropout(x: number, y: number, n: number, key: number, threshold: number, scaleBits: number): void;
  /** Row-wise max of an [rows, V] matrix (V ≥ 4) into f32 out[rows]. */
  rowMax(x: number, rows: number, V: number, out: number): void;
  /** f64 out[r] = Σ_v exp(x[r,v] − maxes[r]) for an [rows, V] matrix (V ≥ 4). */
  rowSumExp(x: number, rows: number, V: number, maxes: number, out64: number): void;
  /** dx[r,v] = dy[r]·exp(x[r,v] − lse[r]) (V ≥ 4): the softmax part of the cross-entropy gradient. */
  rowSoftmaxGrad(x: number, rows: number, V: number, lse: number, dy: number, dx: number): void;
  /**
   * Per row of [rows, V] (V ≥ 4): samples[r] = argmax_v(x[r,v]/T + g), g = −log(−log u) with u the
   * element's draw of uniformNoise(rows·V, seed) (key = its stream key), and preds[r] = argmax_v x[r,v]
   * (both int32, first index on ties, as tf.argMax).
   */
  gumbelArgmax(x: number, rows: number, V: number, key: number, temperatureBits: number, samples: number, preds: number): void;
  /** Row-wise LayerNorm of [rows, H] (H % 4 = 0): y = (x − mean)·rsqrt(var + eps)·gamma + beta. */
  layerNorm(x: number, gamma: number, beta: number, y: number, rows: number, H: number, epsBits: number): void;
  /**
   * LayerNorm backward: dx, and (added into float64 accumulators of H values each, which the caller
   * zeroes) dgamma = Σ_rows dy·x̂ and dbeta = Σ_rows dy.
   */
  layerNormGrad(dy: number, x: number, gamma: number, dx: number, dgamma64: number, dbeta64: number, rows: number, H: number, epsBits: number): void;
}

// ---- shared pieces ----

const lanes32 = (l: number[]) => l.flatMap((x) => [x * 4, x * 4 + 1, x * 4 + 2, x * 4 + 3]);
const UNPACK_LO = lanes32([0, 4, 1, 5]);
const UNPACK_HI = lanes32([2, 6, 3, 7]);
const LO64 = lanes32([0, 1, 4, 5]);
const HI64 = lanes32([2, 3, 6, 7]);
const TILE = 32;

/** addr + index·4 */
const at = (addr: Code, index: Code): Code => i32.add(addr, i32.shl(index, i32.const(2)));

// Elementwise kernels process UNROLL vectors (16 elements) per iteration with their instruction streams
// interleaved: a single erf or exp is a chain of ~10 dependent multiply-adds, and one chain at a time
// left the loop latency-bound (~2.7 ns/element for GELU; ~1.1 interleaved). A second loop does the
// remaining whole vectors; the caller does the last n % 4 elements.
const UNROLL = 4;

/** One step of a vector computation, as a statement for lane group k (0 ≤ k < unroll). */
type Stage = (k: number) => Code;

/** The stages interleaved: stage 1 for every group, then stage 2, ... */
const interleave = (unroll: number, stages: Stage[]): Code =>
  stages.flatMap((stage) => Array.from({ length: unroll }, (_, k) => stage(k)).flat());

/**
 * f32x4 constants for a kernel body: `K(c)` names a V128 local holding c in every lane (one local per
 * distinct value); `hoisted` sets them, to be placed before the loops that use them.
 */
function constantPool(newLocal: () => number): { K: (c: number) => Code; hoisted: Code[] } {
  const constants = new Map<number, number>();
  const hoisted: Code[] = [];
  const K = (c: number): Code => {
    const key = Math.fround(c);
    if (!constants.has(key)) {
      const l = newLocal();
      constants.set(key, l);
      hoisted.push(set(l, f32x4.const(key)));
    }
    return get(constants.get(key)!);
  };
  return { K, hoisted };
}

/**
 * Builds an elementwise kernel over n elements: `build` allocates its locals and returns the `stages` that
 * load lane group k of the block at element i, compute, and store (constants through `K`, hoisted out of
 * the loops), plus optional `setup` code run once before the loops.
 */
function elementwise(
  name: string,
  params: number,
  n: number,
  build: (tools: { local: () => number; group: () => number[]; K: (c: number) => Code; i: number }) => { setup?: Code; stages: Stage[] },
): Func {
  return fn(name, params, (local) => {
    const i = local(I32);
    const nMain = local(I32);
    const nVec = local(I32);
    const { K, hoisted } = constantPool(() => local(V128));
    const { setup, stages } = build({ local: () => local(V128), group: () => Array.from({ length: UNROLL }, () => local(V128)), K, i });
    // Generate the loops first: that is when the stages ask K for their constants.
    const loops = [
      ...forRange(i, i32.const(0), get(nMain), i32.const(4 * UNROLL), interleave(UNROLL, stages)),
      ...forRange(i, get(nMain), get(nVec), i32.const(4), interleave(1, stages)),
    ];
    return [
      ...set(nMain, i32.and(get(n), i32.const(-4 * UNROLL))),
      ...set(nVec, i32.and(get(n), i32.const(-4))),
      ...hoisted.flat(),
      ...(setup ?? []),
      ...loops,
    ];
  });
}

/** Horner stages: acc = c0; acc = acc·x + c1; ... (x and acc are per-group locals). */
function hornerStages(acc: number[], x: number[], coefficients: number[], K: (c: number) => Code): Stage[] {
  return [
    (k) => set(acc[k], K(coefficients[0])),
    ...coefficients.slice(1).map((c): Stage => (k) => set(acc[k], f32x4.add(f32x4.mul(get(acc[k]), get(x[k])), K(c)))),
  ];
}

// XLA's ErfImpl32: erf(x) ≈ x·P(x²)/Q(x²) on x clamped to [−4, 4].
export const ERF_P = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02];
export const ERF_Q = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03, -1.42647390514189e-02];

/** Stages setting out[k] = erf(x[k]) (x is left intact; t, x2, p, q are scratch groups). */
function erfStages(x: number[], out: number[], t: number[], x2: number[], p: number[], q: number[], K: (c: number) => Code): Stage[] {
  const P = hornerStages(p, x2, ERF_P, K);
  const Q = hornerStages(q, x2, ERF_Q, K);
  const both: Stage[] = P.map((stage, s) => (k) => [...stage(k), ...(Q[s] ? Q[s](k) : [])]);
  return [
    (k) => set(t[k], f32x4.pmax(f32x4.pmin(get(x[k]), K(4)), K(-4))),
    (k) => set(x2[k], f32x4.mul(get(t[k]), get(t[k]))),
    ...both,
    (k) => set(out[k], f32x4.div(f32x4.mul(get(t[k]), get(p[k])), get(q[k]))),
  ];
}

// Cephes expf: exp(x) = 2^n·(1 + r + r²·P(r)), n = round(x·log2 e), r = x − n·ln 2 (in two parts).
export const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
export const EXP_LO = -87.33654;
export const EXP_HI = 88;
export const LN2_HI = 0.693359375;
export const LN2_LO = -2.12194440e-4;

/** Stages setting out[k] = exp(x[k]) for x ≤ 88 (t, n, r, p scratch; x may be out). */
function expStages(x: number[], out: number[], t: number[], n: number[], r: number[], p: number[], K: (c: number) => Code): Stage[] {
  return [
    (k) => set(t[k], f32x4.pmax(f32x4.pmin(get(x[k]), K(EXP_HI)), K(EXP_LO))),
    (k) => set(n[k], f32x4.nearest(f32x4.mul(get(t[k]), K(Math.LOG2E)))),
    (k) => set(r[k], f32x4.sub(f32x4.sub(get(t[k]), f32x4.mul(get(n[k]), K(LN2_HI))), f32x4.mul(get(n[k]), K(LN2_LO)))),
    ...hornerStages(p, r, EXP_P, K),
    (k) => set(out[k], f32x4.mul(
      f32x4.add(f32x4.add(f32x4.mul(get(p[k]), f32x4.mul(get(r[k]), get(r[k]))), get(r[k])), K(1)),
      i32x4.shl(i32x4.add(f32x4.toI32(get(n[k])), i32x4.const(127)), i32.const(23)))),
  ];
}

// Cephes logf: log(x) = e·ln 2 + log(m), x = m·2^e with m ∈ [√½, √2), by a polynomial in m − 1.
export const LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];

/** Stages setting out[k] = log(x[k]) for x > 0 (0 and denormals count as the smallest normal). Scratch: m, e, z, p. */
function logStages(x: number[], out: number[], m: number[], e: number[], z: number[], p: number[], K: (c: number) => Code): Stage[] {
  return [
    (k) => set(m[k], f32x4.pmax(get(x[k]), K(1.17549435e-38))),
    (k) => set(e[k], f32x4.fromI32(i32x4.sub(i32x4.shrU(get(m[k]), i32.const(23)), i32x4.const(126)))),
    (k) => set(m[k], v128.or(v128.and(get(m[k]), i32x4.const(0x807fffff | 0)), i32x4.const(0x3f000000))), // [0.5, 1)
    // m < √½: e −= 1 and m = 2m − 1; else m = m − 1
    (k) => set(z[k], f32x4.lt(get(m[k]), K(Math.SQRT1_2))),
    (k) => set(e[k], f32x4.sub(get(e[k]), v128.and(get(z[k]), K(1)))),
    (k) => set(m[k], f32x4.add(f32x4.sub(get(m[k]), K(1)), v128.and(get(z[k]), get(m[k])))),
    (k) => set(z[k], f32x4.mul(get(m[k]), get(m[k]))),
    ...hornerStages(p, m, LOG_P, K),
    (k) => set(p[k], f32x4.mul(f32x4.mul(get(p[k]), get(z[k])), get(m[k]))),
    (k) => set(p[k], f32x4.add(get(p[k]), f32x4.mul(get(e[k]), K(LN2_LO)))),
    (k) => set(p[k], f32x4.add(get(p[k]), f32x4.mul(get(z[k]), K(-0.5)))),
    (k) => set(out[k], f32x4.add(f32x4.add(get(m[k]), get(p[k])), f32x4.mul(get(e[k]), K(LN2_HI)))),
  ];
}

/**
 * A kernel over the rows of an [rows, V] f32 matrix (V ≥ 4). Per row, `sweep` code runs for lane groups
 * at in-row element v (UNROLL groups per step, then one), and once more for the last 4 elements when V is
 * not a multiple of 4 (`tail` true: lanes below V & ~3 were already seen; `valid` masks the new ones).
 */
function rowKernel(
  name: string,
  params: number,
  unroll: number,
  [xParam, rowsParam, VParam]: [number, number, number],
  build: (tools: {
    local: (type: number) => number;
    group: () => number[];
    K: (c: number) => Code;
    r: number; v: number; row: number; valid: number;
  }) => { setup?: Code; rowStart: Code; sweep: (unroll: number, tail: boolean) => Code; rowEnd: Code },
): Func {
  return fn(name, params, (local) => {
    const [r, v, row, V16, V4] = Array.from({ length: 5 }, () => local(I32));
    const valid = local(V128);
    const { K, hoisted } = constantPool(() => local(V128));
    const parts = build({ local, group: () => Array.from({ length: unroll }, () => local(V128)), K, r, v, row, valid });
    const loops = forRange(r, i32.const(0), get(rowsParam), i32.const(1),
      set(row, at(get(xParam), i32.mul(get(r), get(VParam)))),
      parts.rowStart,
      forRange(v, i32.const(0), get(V16), i32.const(4 * unroll), parts.sweep(unroll, false)),
      forRange(v, get(V16), get(V4), i32.const(4), parts.sweep(1, false)),
      ifThen(i32.ltS(get(V4), get(VParam)), set(v, i32.sub(get(VParam), i32.const(4))), parts.sweep(1, true)),
      parts.rowEnd);
    return [
      ...set(V16, i32.and(get(VParam), i32.const(-4 * unroll))),
      ...set(V4, i32.and(get(VParam), i32.const(-4))),
      // valid: lanes of the tail vector [V−4, V) at or past V & ~3
      ...set(valid, i32x4.geS(i32x4.add(i32x4.splat(i32.sub(get(VParam), i32.const(4))), v128.constI32([0, 1, 2, 3])), i32x4.splat(get(V4)))),
      ...hoisted.flat(),
      ...(parts.setup ?? []),
      ...loops,
    ];
  });
}

/** Row kernels are throughput-bound (measured: 1, 2 and 4 groups within noise); 2 keeps register pressure low. */
const ROW_UNROLL = 2;

/** Load of lane group k at in-row element v of the row at byte offset `row`. */
const rowLoad = (row: number, v: number, k: number) => v128.load(at(get(row), get(v)), 16 * k);

function rowMaxFunc(): Func {
  const [x, rows, V, out] = [0, 1, 2, 3];
  return rowKernel('rowMax', 4, UNROLL, [x, rows, V], ({ group, local, r, v, row }) => {
    const acc = group();
    const tmp = local(V128);
    return {
      rowStart: acc.flatMap((a) => set(a, f32x4.const(-Infinity))),
      sweep: (unroll) => Array.from({ length: unroll }, (_, k) => set(acc[k], f32x4.max(get(acc[k]), rowLoad(row, v, k)))).flat(),
      rowEnd: [
        ...set(acc[0], f32x4.max(f32x4.max(get(acc[0]), get(acc[1])), f32x4.max(get(acc[2]), get(acc[3])))),
        ...set(tmp, get(acc[0])),
        ...f32.store(at(get(out), get(r)), f32.max(f32.max(f32x4.lane(get(tmp), 0), f32x4.lane(get(tmp), 1)), f32.max(f32x4.lane(get(tmp), 2), f32x4.lane(get(tmp), 3)))),
      ],
    };
  });
}

function rowSumExpFunc(): Func {
  const [x, rows, V, maxes, out64] = [0, 1, 2, 3, 4];
  return rowKernel('rowSumExp', 5, ROW_UNROLL, [x, rows, V], ({ group, local, K, r, v, row, valid }) => {
    const [t, e, tt, n, rr, p, lo, hi] = Array.from({ length: 8 }, group);
    const mx = local(V128);
    const hiToLo = lanes32([2, 3, 0, 1]);
    const sweep = (unroll: number, tail: boolean) => interleave(unroll, [
      (k) => set(t[k], f32x4.sub(rowLoad(row, v, k), get(mx))),
      ...expStages(t, e, tt, n, rr, p, K),
      (k) => (tail ? set(e[k], v128.and(get(e[k]), get(valid))) : []),
      (k) => set(lo[k], f64x2.add(get(lo[k]), f64x2.promoteLow(get(e[k])))),
      (k) => set(hi[k], f64x2.add(get(hi[k]), f64x2.promoteLow(v128.shuffle(get(e[k]), get(e[k]), hiToLo)))),
    ]);
    const total = () => {
      let sum: Code = f64x2.add(get(lo[0]), get(hi[0]));
      for (let k = 1; k < lo.length; k++) sum = f64x2.add(sum, f64x2.add(get(lo[k]), get(hi[k])));
      return sum;
    };
    return {
      rowStart: [...set(mx, f32x4.splat(f32.load(at(get(maxes), get(r))))), ...[...lo, ...hi].flatMap((a) => set(a, v128.xor(get(a), get(a))))],
      sweep,
      rowEnd: [...set(lo[0], total()), ...f64.store(i32.add(get(out64), i32.shl(get(r), i32.const(3))), f64.add(f64x2.lane(get(lo[0]), 0), f64x2.lane(get(lo[0]), 1)))],
    };
  });
}

function rowSoftmaxGradFunc(): Func {
  const [x, rows, V, lse, dy, dx] = [0, 1, 2, 3, 4, 5];
  return rowKernel('rowSoftmaxGrad', 6, ROW_UNROLL, [x, rows, V], ({ group, local, K, r, v, row }) => {
    const [t, e, tt, n, rr, p] = Array.from({ length: 6 }, group);
    const [L, D] = [local(V128), local(V128)];
    const dxRow = local(I32);
    return {
      rowStart: [
        ...set(L, f32x4.splat(f32.load(at(get(lse), get(r))))),
        ...set(D, f32x4.splat(f32.load(at(get(dy), get(r))))),
        ...set(dxRow, i32.add(get(dx), i32.sub(get(row), get(x)))),
      ],
      // The tail vector rewrites lanes already written with the same values.
      sweep: (unroll) => interleave(unroll, [
        (k) => set(t[k], f32x4.sub(rowLoad(row, v, k), get(L))),
        ...expStages(t, e, tt, n, rr, p, K),
        (k) => v128.store(at(get(dxRow), get(v)), f32x4.mul(get(e[k]), get(D)), 16 * k),
      ]),
      rowEnd: [],
    };
  });
}

function gumbelArgmaxFunc(): Func {
  const [x, rows, V, key, temperatureBits, samples, preds] = [0, 1, 2, 3, 4, 5, 6];
  return rowKernel('gumbelArgmax', 7, ROW_UNROLL, [x, rows, V], ({ group, local, K, r, v, row, valid }) => {
    const [xv, idx, h, u, m, e, z, p, s, gt, zero] = Array.from({ length: 11 }, group);
    const [bestS, bestI, bestL, bestLI] = Array.from({ length: 4 }, group);
    const [keyV, base, temp, lanes, phi, m1, m2, negInf] = Array.from({ length: 8 }, () => local(V128));
    const [bs, bi, ls, li] = [local(F32), local(I32), local(F32), local(I32)];
    const mix = (shift: number): Stage => (k) => set(h[k], v128.xor(get(h[k]), i32x4.shrU(get(h[k]), i32.const(shift))));
    const sweep = (unroll: number, tail: boolean) => interleave(unroll, [
      (k) => set(xv[k], rowLoad(row, v, k)),
      (k) => set(idx[k], i32x4.add(i32x4.splat(i32.add(get(v), i32.const(4 * k))), get(lanes))),
      // u: the draw of flat element r·V + v, exactly as uniformNoise() makes it in JS
      (k) => set(h[k], v128.xor(i32x4.mul(i32x4.add(get(idx[k]), get(base)), get(phi)), get(keyV))),
      mix(16), (k) => set(h[k], i32x4.mul(get(h[k]), get(m1))),
      mix(15), (k) => set(h[k], i32x4.mul(get(h[k]), get(m2))),
      mix(16),
      (k) => set(u[k], f32x4.mul(f32x4.fromI32(i32x4.shrU(get(h[k]), i32.const(8))), K(5.9604644775390625e-8))),
      // u = 0 would give g = −∞ (never chosen); the log below treats 0 as the smallest normal, so mask it.
      (k) => set(zero[k], f32x4.eq(get(u[k]), K(0))),
      // g = −log(−log u); s = x/T + g (as the tfjs-op version: log, neg, log, neg, div, add)
      ...logStages(u, u, m, e, z, p, K),
      (k) => set(u[k], f32x4.neg(get(u[k]))),
      ...logStages(u, u, m, e, z, p, K),
      (k) => set(s[k], v128.select(get(negInf), f32x4.add(f32x4.div(get(xv[k]), get(temp)), f32x4.neg(get(u[k]))), get(zero[k]))),
      (k) => (tail ? [...set(s[k], v128.select(get(s[k]), get(negInf), get(valid))), ...set(xv[k], v128.select(get(xv[k]), get(negInf), get(valid)))] : []),
      (k) => set(gt[k], f32x4.gt(get(s[k]), get(bestS[k]))),
      (k) => [...set(bestS[k], v128.select(get(s[k]), get(bestS[k]), get(gt[k]))), ...set(bestI[k], v128.select(get(idx[k]), get(bestI[k]), get(gt[k])))],
      (k) => set(gt[k], f32x4.gt(get(xv[k]), get(bestL[k]))),
      (k) => [...set(bestL[k], v128.select(get(xv[k]), get(bestL[k]), get(gt[k]))), ...set(bestLI[k], v128.select(get(idx[k]), get(bestLI[k]), get(gt[k])))],
    ]);
    /** Merge tracker (S[k], I[k]) into (S[0], I[0]): take k's lanes when larger, or equal with a smaller index. */
    const mergeGroups = (S: number[], I: number[]) => S.slice(1).flatMap((_, j) => {
      const k = j + 1;
      return [
        ...set(gt[0], v128.or(f32x4.gt(get(S[k]), get(S[0])), v128.and(f32x4.eq(get(S[k]), get(S[0])), i32x4.ltS(get(I[k]), get(I[0]))))),
        ...set(S[0], v128.select(get(S[k]), get(S[0]), get(gt[0]))),
        ...set(I[0], v128.select(get(I[k]), get(I[0]), get(gt[0]))),
      ];
    });
    /** The best lane of (S[0], I[0]) into scalars (sv, iv), then stored at out + r·4. */
    const reduceLanes = (S: number, I: number, sv: number, iv: number, out: number) => [
      ...set(sv, f32x4.lane(get(S), 0)),
      ...set(iv, i32x4.lane(get(I), 0)),
      ...[1, 2, 3].flatMap((l) => {
        const better = i32.or(f32.gt(f32x4.lane(get(S), l), get(sv)), i32.and(f32.eq(f32x4.lane(get(S), l), get(sv)), i32.ltS(i32x4.lane(get(I), l), get(iv))));
        return [
          ...set(iv, select(i32x4.lane(get(I), l), get(iv), better)),
          ...set(sv, f32.max(f32x4.lane(get(S), l), get(sv))),
        ];
      }),
      ...i32.store(at(get(out), get(r)), get(iv)),
    ];
    return {
      setup: [
        ...set(keyV, i32x4.splat(get(key))),
        ...set(temp, f32x4.splat(f32.fromBits(get(temperatureBits)))),
        ...set(lanes, v128.constI32([0, 1, 2, 3])),
        ...set(phi, i32x4.const(0x9e3779b9 | 0)),
        ...set(m1, i32x4.const(0x7feb352d)),
        ...set(m2, i32x4.const(0x846ca68b | 0)),
        ...set(negInf, f32x4.const(-Infinity)),
      ],
      rowStart: [
        ...set(base, i32x4.splat(i32.mul(get(r), get(V)))),
        ...[...bestS, ...bestL].flatMap((a) => set(a, get(negInf))),
        ...[...bestI, ...bestLI].flatMap((a) => set(a, v128.xor(get(a), get(a)))),
      ],
      sweep,
      rowEnd: [
        ...mergeGroups(bestS, bestI), ...reduceLanes(bestS[0], bestI[0], bs, bi, samples),
        ...mergeGroups(bestL, bestLI), ...reduceLanes(bestL[0], bestLI[0], ls, li, preds),
      ],
    };
  });
}

// ---- kernels ----

function transpose4Func(): Func {
  return fn('transpose4', 4, (local) => {
    const [src, dst, R, C] = [0, 1, 2, 3];
    const [R4, C4, rb, cb, re, ce, r, c, s, d, rowBytes, colBytes] = Array.from({ length: 12 }, () => local(I32));
    const [v0, v1, v2, v3, t0, t1, t2, t3] = Array.from({ length: 8 }, () => local(V128));
    const load = (into: number, k: number) => set(into, v128.load(i32.add(get(s), i32.mul(get(rowBytes), i32.const(k)))));
    const shuffle = (into: number, x: number, y: number, lanes: number[]) => set(into, v128.shuffle(get(x), get(y), lanes));
    const store = (k: number, x: number, y: number, lanes: number[]) =>
      v128.store(i32.add(get(d), i32.mul(get(colBytes), i32.const(k))), v128.shuffle(get(x), get(y), lanes));
    const block4 = [
      ...set(s, at(get(src), i32.add(i32.mul(get(r), get(C)), get(c)))),
      ...set(d, at(get(dst), i32.add(i32.mul(get(c), get(R)), get(r)))),
      ...load(v0, 0), ...load(v1, 1), ...load(v2, 2), ...load(v3, 3),
      ...shuffle(t0, v0, v1, UNPACK_LO), ...shuffle(t1, v0, v1, UNPACK_HI),
      ...shuffle(t2, v2, v3, UNPACK_LO), ...shuffle(t3, v2, v3, UNPACK_HI),
      ...store(0, t0, t2, LO64), ...store(1, t0, t2, HI64), ...store(2, t1, t3, LO64), ...store(3, t1, t3, HI64),
    ];
    return [
      ...set(R4, i32.and(get(R), i32.const(-4))),
      ...set(C4, i32.and(get(C), i32.const(-4))),
      ...set(rowBytes, i32.shl(get(C), i32.const(2))),
      ...set(colBytes, i32.shl(get(R), i32.const(2))),
      ...forRange(rb, i32.const(0), get(R4), i32.const(TILE),
        set(re, i32.min(i32.add(get(rb), i32.const(TILE)), get(R4))),
        forRange(cb, i32.const(0), get(C4), i32.const(TILE),
          set(ce, i32.min(i32.add(get(cb), i32.const(TILE)), get(C4))),
          forRange(r, get(rb), get(re), i32.const(4),
            forRange(c, get(cb), get(ce), i32.const(4), block4)))),
    ];
  });
}

function permuteMiddleFunc(): Func {
  return fn('permuteMiddle', 6, (local) => {
    const [src, dst, A, B, C, D] = [0, 1, 2, 3, 4, 5];
    const [a, c, b, s, d, runBytes, bStride, slabBytes, slab] = Array.from({ length: 9 }, () => local(I32));
    return [
      ...set(runBytes, i32.shl(get(D), i32.const(2))),
      ...set(bStride, i32.mul(get(C), get(runBytes))),
      ...set(slabBytes, i32.mul(get(B), get(bStride))),
      ...set(d, get(dst)),
      ...forRange(a, i32.const(0), get(A), i32.const(1),
        set(slab, i32.add(get(src), i32.mul(get(a), get(slabBytes)))),
        forRange(c, i32.const(0), get(C), i32.const(1),
          set(s, i32.add(get(slab), i32.mul(get(c), get(runBytes)))),
          forRange(b, i32.const(0), get(B), i32.const(1),
            memory.copy(get(d), get(s), get(runBytes)),
            set(s, i32.add(get(s), get(bStride))),
            set(d, i32.add(get(d), get(runBytes)))))),
    ];
  });
}

function gatherRowsFunc(): Func {
  return fn('gatherRows', 5, (local) => {
    const [src, indices, dst, count, rowBytes] = [0, 1, 2, 3, 4];
    const i = local(I32);
    return forRange(i, i32.const(0), get(count), i32.const(1),
      memory.copy(
        i32.add(get(dst), i32.mul(get(i), get(rowBytes))),
        i32.add(get(src), i32.mul(i32.load(at(get(indices), get(i))), get(rowBytes))),
        get(rowBytes)));
  });
}

function colSumFunc(): Func {
  return fn('colSum', 4, (local) => {
    const [src, dst, rows, cols] = [0, 1, 2, 3];
    const [c, r, p, C16, C4, rowBytes] = Array.from({ length: 6 }, () => local(I32));
    const acc = Array.from({ length: 8 }, () => local(V128));
    const v = local(V128);
    const hiToLo = lanes32([2, 3, 0, 1]);
    /** Sum `width` (4 or 16) columns starting at c down all rows. */
    const columns = (width: number) => {
      const k = width / 4;
      const body: Code[] = [];
      for (let j = 0; j < k; j++) {
        body.push(set(v, v128.load(get(p), 16 * j)));
        body.push(set(acc[2 * j], f64x2.add(get(acc[2 * j]), f64x2.promoteLow(get(v)))));
        body.push(set(acc[2 * j + 1], f64x2.add(get(acc[2 * j + 1]), f64x2.promoteLow(v128.shuffle(get(v), get(v), hiToLo)))));
      }
      const stores: Code[] = [];
      for (let j = 0; j < k; j++) {
        stores.push(v128.store(at(get(dst), get(c)), v128.shuffle(f64x2.demote(get(acc[2 * j])), f64x2.demote(get(acc[2 * j + 1])), LO64), 16 * j));
      }
      return [
        ...acc.slice(0, 2 * k).flatMap((x) => set(x, v128.xor(get(v), get(v)))),
        ...set(p, at(get(src), get(c))),
        ...forRange(r, i32.const(0), get(rows), i32.const(1), ...body, set(p, i32.add(get(p), get(rowBytes)))),
        ...stores.flat(),
      ];
    };
    return [
      ...set(v, f32x4.const(0)),
      ...set(rowBytes, i32.shl(get(cols), i32.const(2))),
      ...set(C16, i32.and(get(cols), i32.const(-16))),
      ...set(C4, i32.and(get(cols), i32.const(-4))),
      ...forRange(c, i32.const(0), get(C16), i32.const(16), columns(16)),
      ...forRange(c, get(C16), get(C4), i32.const(4), columns(4)),
    ];
  });
}

function geluFunc(): Func {
  const [x, y, n] = [0, 1, 2];
  return elementwise('gelu', 3, n, ({ group, K, i }) => {
    const [v, u, e, t, x2, p, q] = Array.from({ length: 7 }, group);
    return {
      stages: [
        (k) => set(v[k], v128.load(at(get(x), get(i)), 16 * k)),
        (k) => set(u[k], f32x4.mul(get(v[k]), K(Math.SQRT1_2))),
        ...erfStages(u, e, t, x2, p, q, K),
        // As tfjs' ops: (x·0.5)·(1 + erf(x·√½))
        (k) => v128.store(at(get(y), get(i)), f32x4.mul(f32x4.mul(get(v[k]), K(0.5)), f32x4.add(K(1), get(e[k]))), 16 * k),
      ],
    };
  });
}

function geluGradFunc(): Func {
  const [dy, x, dx, n] = [0, 1, 2, 3];
  return elementwise('geluGrad', 4, n, ({ group, K, i }) => {
    const [v, u, e, g, t, x2, p, q, nn, r] = Array.from({ length: 10 }, group);
    return {
      stages: [
        (k) => set(v[k], v128.load(at(get(x), get(i)), 16 * k)),
        (k) => set(u[k], f32x4.mul(get(v[k]), K(Math.SQRT1_2))),
        ...erfStages(u, e, t, x2, p, q, K), // e = erf(x/√2)
        (k) => set(u[k], f32x4.mul(f32x4.mul(get(v[k]), get(v[k])), K(-0.5))),
        ...expStages(u, g, t, nn, r, p, K), // g = exp(−x²/2)
        // GELU'(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π)
        (k) => v128.store(at(get(dx), get(i)), f32x4.mul(v128.load(at(get(dy), get(i)), 16 * k), f32x4.add(
          f32x4.mul(K(0.5), f32x4.add(K(1), get(e[k]))),
          f32x4.mul(get(v[k]), f32x4.mul(get(g[k]), K(1 / Math.sqrt(2 * Math.PI)))))), 16 * k),
      ],
    };
  });
}

function dropoutFunc(): Func {
  const [x, y, n, key, threshold, scaleBits] = [0, 1, 2, 3, 4, 5];
  return elementwise('dropout', 6, n, ({ group, local, i }) => {
    const h = group();
    const [scale, keyV, thr, phi, m1, m2, sign, lanes] = Array.from({ length: 8 }, local);
    const mix = (shift: number): Stage => (k) => set(h[k], v128.xor(get(h[k]), i32x4.shrU(get(h[k]), i32.const(shift))));
    return {
      setup: [
        ...set(scale, f32x4.splat(f32.fromBits(get(scaleBits)))),
        ...set(keyV, i32x4.splat(get(key))),
        ...set(thr, i32x4.splat(get(threshold))),
        ...set(phi, i32x4.const(0x9e3779b9 | 0)),
        ...set(m1, i32x4.const(0x7feb352d)),
        ...set(m2, i32x4.const(0x846ca68b | 0)),
        ...set(sign, i32x4.const(0x80000000 | 0)),
        ...set(lanes, v128.constI32([0, 1, 2, 3])),
      ],
      stages: [
        // element indices i + 4k + [0, 1, 2, 3], hashed as dropoutMask() in layers.ts does in JS:
        // hash32(i·φ ⊕ key); kept iff hash ^ 2^31 ≥ threshold (signed)
        (k) => set(h[k], i32x4.add(i32x4.splat(i32.add(get(i), i32.const(4 * k))), get(lanes))),
        (k) => set(h[k], v128.xor(i32x4.mul(get(h[k]), get(phi)), get(keyV))),
        mix(16), (k) => set(h[k], i32x4.mul(get(h[k]), get(m1))),
        mix(15), (k) => set(h[k], i32x4.mul(get(h[k]), get(m2))),
        mix(16),
        (k) => v128.store(at(get(y), get(i)), v128.and(
          f32x4.mul(v128.load(at(get(x), get(i)), 16 * k), get(scale)),
          i32x4.geS(v128.xor(get(h[k]), get(sign)), get(thr))), 16 * k),
      ],
    };
  });
}

/** Shared LayerNorm row statistics: sets locals mean and rstd (f32x4 splats) for the row at `row`. */
function rowStats(row: number, H: number, j: number, acc: number, tmp: number, mean: number, rstd: number, eps: number, hf: number): Code {
  return [
    ...set(acc, f32x4.const(0)),
    ...forRange(j, i32.const(0), get(H), i32.const(4), set(acc, f32x4.add(get(acc), v128.load(at(get(row), get(j)))))),
    ...set(mean, f32x4.splat(f32.div(f32x4.hsum(get(acc), tmp), get(hf)))),
    ...set(acc, f32x4.const(0)),
    ...forRange(j, i32.const(0), get(H), i32.const(4),
      set(tmp, f32x4.sub(v128.load(at(get(row), get(j))), get(mean))),
      set(acc, f32x4.add(get(acc), f32x4.mul(get(tmp), get(tmp))))),
    // rsqrt(var + eps) as 1/√(·), like tfjs' Rsqrt
    ...set(rstd, f32x4.splat(f32.div(f32.const(1), f32.sqrt(f32.add(f32.div(f32x4.hsum(get(acc), tmp), get(hf)), get(eps)))))),
  ];
}

function layerNormFunc(): Func {
  return fn('layerNorm', 7, (local) => {
    const [x, gamma, beta, y, rows, H, epsBits] = [0, 1, 2, 3, 4, 5, 6];
    const [r, j, row, out] = Array.from({ length: 4 }, () => local(I32));
    const [eps, hf] = [local(F32), local(F32)];
    const [acc, tmp, mean, rstd] = Array.from({ length: 4 }, () => local(V128));
    return [
      ...set(eps, f32.fromBits(get(epsBits))),
      ...set(hf, f32.fromI32(get(H))),
      ...forRange(r, i32.const(0), get(rows), i32.const(1),
        set(row, at(get(x), i32.mul(get(r), get(H)))),
        set(out, at(get(y), i32.mul(get(r), get(H)))),
        rowStats(row, H, j, acc, tmp, mean, rstd, eps, hf),
        forRange(j, i32.const(0), get(H), i32.const(4),
          v128.store(at(get(out), get(j)), f32x4.add(
            f32x4.mul(f32x4.mul(f32x4.sub(v128.load(at(get(row), get(j))), get(mean)), get(rstd)), v128.load(at(get(gamma), get(j)))),
            v128.load(at(get(beta), get(j))))))),
    ];
  });
}

function layerNormGradFunc(): Func {
  return fn('layerNormGrad', 9, (local) => {
    const [dy, x, gamma, dx, dgamma64, dbeta64, rows, H, epsBits] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const [r, j, row, dyRow, dxRow, acc64] = Array.from({ length: 6 }, () => local(I32));
    const [eps, hf] = [local(F32), local(F32)];
    const [acc, tmp, mean, rstd, xhat, g, d, sg, sgx] = Array.from({ length: 9 }, () => local(V128));
    const hiToLo = lanes32([2, 3, 0, 1]);
    /** acc64[j..j+3] (float64) += f32x4 value in local `d` */
    const accumulate = (base: number) => [
      ...set(acc64, i32.add(get(base), i32.shl(get(j), i32.const(3)))),
      ...v128.store(get(acc64), f64x2.add(v128.load(get(acc64)), f64x2.promoteLow(get(d)))),
      ...v128.store(get(acc64), f64x2.add(v128.load(get(acc64), 16), f64x2.promoteLow(v128.shuffle(get(d), get(d), hiToLo))), 16),
    ];
    const xhatAndG = [
      ...set(xhat, f32x4.mul(f32x4.sub(v128.load(at(get(row), get(j))), get(mean)), get(rstd))),
      ...set(d, v128.load(at(get(dyRow), get(j)))),
      ...set(g, f32x4.mul(get(d), v128.load(at(get(gamma), get(j))))),
    ];
    return [
      ...set(eps, f32.fromBits(get(epsBits))),
      ...set(hf, f32.fromI32(get(H))),
      ...forRange(r, i32.const(0), get(rows), i32.const(1),
        set(row, at(get(x), i32.mul(get(r), get(H)))),
        set(dyRow, at(get(dy), i32.mul(get(r), get(H)))),
        set(dxRow, at(get(dx), i32.mul(get(r), get(H)))),
        rowStats(row, H, j, acc, tmp, mean, rstd, eps, hf),
        set(sg, f32x4.const(0)),
        set(sgx, f32x4.const(0)),
        forRange(j, i32.const(0), get(H), i32.const(4),
          xhatAndG,
          accumulate(dbeta64), // dβ += dy
          set(d, f32x4.mul(get(d), get(xhat))),
          accumulate(dgamma64), // dγ += dy·x̂
          set(sg, f32x4.add(get(sg), get(g))),
          set(sgx, f32x4.add(get(sgx), f32x4.mul(get(g), get(xhat))))),
        set(sg, f32x4.splat(f32.div(f32x4.hsum(get(sg), tmp), get(hf)))), // mean(g)
        set(sgx, f32x4.splat(f32.div(f32x4.hsum(get(sgx), tmp), get(hf)))), // mean(g·x̂)
        // dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
        forRange(j, i32.const(0), get(H), i32.const(4),
          xhatAndG,
          v128.store(at(get(dxRow), get(j)), f32x4.mul(get(rstd), f32x4.sub(f32x4.sub(get(g), get(sg)), f32x4.mul(get(xhat), get(sgx))))))),
    ];
  });
}

/** The bytes of the kernel module for a shared or unshared memory (exported for tests). */
export function kernelModuleBytes(sharedMemory: boolean): Uint8Array {
  return moduleBytes([
    transpose4Func(), permuteMiddleFunc(), gatherRowsFunc(), colSumFunc(), rowMaxFunc(), rowSumExpFunc(), rowSoftmaxGradFunc(), gumbelArgmaxFunc(), geluFunc(), geluGradFunc(), dropoutFunc(), layerNormFunc(), layerNormGradFunc(),
  ], sharedMemory);
}

// ---- instantiation ----

/** The parts of the WebAssembly JS API used here (the project's TS lib has no DOM/WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
declare const WebAssembly: {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

/**
 * The WebAssembly.Memory of an Emscripten module object (tfjs-backend-wasm's `backend.wasm`): imported
 * as `wasmMemory` in the threaded build, exported as `asm.memory` in the single-threaded one.
 */
export function emscriptenMemory(module: unknown): WasmMemory | undefined {
  const m = module as { wasmMemory?: unknown; asm?: { memory?: unknown } };
  if (typeof WebAssembly === 'undefined') return undefined;
  if (m.wasmMemory instanceof WebAssembly.Memory) return m.wasmMemory;
  if (m.asm?.memory instanceof WebAssembly.Memory) return m.asm.memory;
  return undefined;
}

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use (all public members of that class). */
export interface WasmBackendLike {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number } | undefined;
    delete(dataId: object): void;
  };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The SIMD kernels on a tfjs wasm backend's heap, or undefined (then use the fallbacks). */
export function simdKernelsOf(backend: WasmBackendLike): SimdKernels | undefined {
  return simdKernels(emscriptenMemory(backend.wasm));
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, t: { dataId: object }): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

const KERNEL_NAMES: (keyof SimdKernels)[] = ['transpose4', 'permuteMiddle', 'gatherRows', 'rowMax', 'rowSumExp', 'rowSoftmaxGrad', 'gumbelArgmax', 'colSum', 'gelu', 'geluGrad', 'dropout', 'layerNorm', 'layerNormGrad'];
const instances = new WeakMap<WasmMemory, SimdKernels | null>();
let disabled = false;

/** Tests switch the kernels off to exercise the fallbacks. */
export function setSimdKernelsEnabled(enabled: boolean): void {
  disabled = !enabled;
}

/** The kernels bound to `memory` (instantiated once per memory), or undefined when they cannot run. */
export function simdKernels(memory: WasmMemory | undefined): SimdKernels | undefined {
  if (!memory || disabled) return undefined;
  const cached = instances.get(memory);
  if (cached !== undefined) return cached ?? undefined;
  let kernels: SimdKernels | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(kernelModuleBytes(shared));
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const bound = {} as Record<string, unknown>;
    for (const name of KERNEL_NAMES) {
      if (typeof exports[name] !== 'function') throw new Error(`kernel ${name} missing`);
      bound[name] = exports[name];
    }
    kernels = bound as unknown as SimdKernels;
  } catch {
    kernels = null; // e.g. no SIMD support: callers fall back
  }
  instances.set(memory, kernels);
  return kernels ?? undefined;
}

/**
 * A minimal WebAssembly assembler: just enough to write the few SIMD kernels of wasm-simd.ts as
 * expression trees in TypeScript (no toolchain, no binary in the repo). Every helper returns the bytes of
 * an expression or statement; `fn()` allocates locals and `moduleBytes()` links functions into a module
 * that imports one memory (`env.memory`).
 *
 * Conventions: addresses are i32 byte offsets into the imported memory (unsigned in memory accesses, so
 * heaps up to 4 GiB work); loop counters are element indices compared signed.
 */

export type Code = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const cat = (...parts: Code[]): Code => ([] as number[]).concat(...parts);
const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
const memarg = (align: number, offset: number): Code => [align, ...uleb(offset)];

function f32Bytes(v: number): Code {
  return Array.from(new Uint8Array(new Float32Array([v]).buffer));
}
function f64Bytes(v: number): Code {
  return Array.from(new Uint8Array(new Float64Array([v]).buffer));
}

// ---- locals and control ----

export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number, value: Code): Code => [...value, 0x21, ...uleb(i)];
export const tee = (i: number, value: Code): Code => [...value, 0x22, ...uleb(i)];
export const drop = (value: Code): Code => [...value, 0x1a];
/** cond ? a : b (both evaluated; cond is an i32). */
export const select = (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, 0x1b];

/** `for (i = from; i < limit; i += step) body` (signed compare; `body` must not branch out). */
export function forRange(i: number, from: Code, limit: Code, step: Code, ...body: Code[]): Code {
  return cat(
    set(i, from),
    [0x02, 0x40, 0x03, 0x40], // block, loop (no results)
    i32.geS(get(i), limit), [0x0d, 1], // br_if 1: leave the block
    ...body,
    set(i, i32.add(get(i), step)),
    [0x0c, 0], // br 0: next iteration
    [0x0b, 0x0b], // end loop, end block
  );
}

/** `if (cond) then` with no else. */
export const ifThen = (cond: Code, ...then: Code[]): Code => cat(cond, [0x04, 0x40], ...then, [0x0b]);

// ---- scalar i32 ----

export const i32 = {
  const: (v: number): Code => [0x41, ...sleb(v | 0)],
  add: (a: Code, b: Code): Code => cat(a, b, [0x6a]),
  sub: (a: Code, b: Code): Code => cat(a, b, [0x6b]),
  mul: (a: Code, b: Code): Code => cat(a, b, [0x6c]),
  and: (a: Code, b: Code): Code => cat(a, b, [0x71]),
  xor: (a: Code, b: Code): Code => cat(a, b, [0x73]),
  shl: (a: Code, b: Code): Code => cat(a, b, [0x74]),
  shrU: (a: Code, b: Code): Code => cat(a, b, [0x76]),
  load: (addr: Code, offset = 0): Code => cat(addr, [0x28], memarg(2, offset)),
  store: (addr: Code, value: Code, offset = 0): Code => cat(addr, value, [0x36], memarg(2, offset)),
  ltS: (a: Code, b: Code): Code => cat(a, b, [0x48]),
  geS: (a: Code, b: Code): Code => cat(a, b, [0x4e]),
  eq: (a: Code, b: Code): Code => cat(a, b, [0x46]),
  ne: (a: Code, b: Code): Code => cat(a, b, [0x47]),
  or: (a: Code, b: Code): Code => cat(a, b, [0x72]),
  /** min(a, b), signed; a and b are evaluated twice. */
  min: (a: Code, b: Code): Code => cat(a, b, a, b, [0x48], [0x1b]),
};

// ---- scalar f32 / f64 ----

export const f32 = {
  const: (v: number): Code => [0x43, ...f32Bytes(v)],
  load: (addr: Code, offset = 0): Code => cat(addr, [0x2a], memarg(2, offset)),
  store: (addr: Code, value: Code, offset = 0): Code => cat(addr, value, [0x38], memarg(2, offset)),
  add: (a: Code, b: Code): Code => cat(a, b, [0x92]),
  sub: (a: Code, b: Code): Code => cat(a, b, [0x93]),
  mul: (a: Code, b: Code): Code => cat(a, b, [0x94]),
  div: (a: Code, b: Code): Code => cat(a, b, [0x95]),
  sqrt: (a: Code): Code => cat(a, [0x91]),
  max: (a: Code, b: Code): Code => cat(a, b, [0x97]),
  gt: (a: Code, b: Code): Code => cat(a, b, [0x5e]),
  eq: (a: Code, b: Code): Code => cat(a, b, [0x5b]),
  fromI32: (a: Code): Code => cat(a, [0xb2]),
  /** The f32 whose bits are the i32 `a`. */
  fromBits: (a: Code): Code => cat(a, [0xbe]),
  demote: (a: Code): Code => cat(a, [0xb6]),
};

export const f64 = {
  const: (v: number): Code => [0x44, ...f64Bytes(v)],
  load: (addr: Code, offset = 0): Code => cat(addr, [0x2b], memarg(3, offset)),
  store: (addr: Code, value: Code, offset = 0): Code => cat(addr, value, [0x39], memarg(3, offset)),
  add: (a: Code, b: Code): Code => cat(a, b, [0xa0]),
  promote: (a: Code): Code => cat(a, [0xbb]),
  fromI32: (a: Code): Code => cat(a, [0xb7]),
};

// ---- v128 as f32x4 / i32x4 / f64x2 ----

export const v128 = {
  load: (addr: Code, offset = 0): Code => cat(addr, simd(0x00), memarg(2, offset)),
  store: (addr: Code, value: Code, offset = 0): Code => cat(addr, value, simd(0x0b), memarg(2, offset)),
  and: (a: Code, b: Code): Code => cat(a, b, simd(0x4e)),
  andNot: (a: Code, b: Code): Code => cat(a, b, simd(0x4f)),
  or: (a: Code, b: Code): Code => cat(a, b, simd(0x50)),
  xor: (a: Code, b: Code): Code => cat(a, b, simd(0x51)),
  /** Lanes of a where mask bits are set, else of b. */
  select: (a: Code, b: Code, mask: Code): Code => cat(a, b, mask, simd(0x52)),
  shuffle: (a: Code, b: Code, lanes: number[]): Code => cat(a, b, simd(0x0d), lanes),
  /** A constant from four i32 lanes. */
  constI32: (lanes: [number, number, number, number]): Code => cat(simd(0x0c), Array.from(new Uint8Array(new Int32Array(lanes).buffer))),
};

export const f32x4 = {
  splat: (a: Code): Code => cat(a, simd(0x13)),
  const: (v: number): Code => cat(f32.const(v), simd(0x13)),
  lane: (a: Code, lane: number): Code => cat(a, simd(0x1f), [lane]),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xe4)),
  sub: (a: Code, b: Code): Code => cat(a, b, simd(0xe5)),
  mul: (a: Code, b: Code): Code => cat(a, b, simd(0xe6)),
  div: (a: Code, b: Code): Code => cat(a, b, simd(0xe7)),
  /** Pseudo-minimum: b < a ? b : a per lane (one instruction; wasm's min adds NaN/±0 fix-ups). */
  pmin: (a: Code, b: Code): Code => cat(a, b, simd(0xea)),
  /** Pseudo-maximum: a < b ? b : a per lane. */
  pmax: (a: Code, b: Code): Code => cat(a, b, simd(0xeb)),
  nearest: (a: Code): Code => cat(a, simd(0x6a)),
  neg: (a: Code): Code => cat(a, simd(0xe1)),
  /** Lane masks (all ones where true). */
  lt: (a: Code, b: Code): Code => cat(a, b, simd(0x43)),
  gt: (a: Code, b: Code): Code => cat(a, b, simd(0x44)),
  eq: (a: Code, b: Code): Code => cat(a, b, simd(0x41)),
  /** IEEE max per lane (NaN-propagating). */
  max: (a: Code, b: Code): Code => cat(a, b, simd(0xe9)),
  toI32: (a: Code): Code => cat(a, simd(0xf8)),
  fromI32: (a: Code): Code => cat(a, simd(0xfa)),
  /** Sum of the four lanes as an f32 ((l0 + l1) + (l2 + l3)). */
  hsum: (a: Code, tmp: number): Code => cat(
    set(tmp, a),
    f32.add(f32.add(f32x4.lane(get(tmp), 0), f32x4.lane(get(tmp), 1)), f32.add(f32x4.lane(get(tmp), 2), f32x4.lane(get(tmp), 3))),
  ),
};

export const i32x4 = {
  splat: (a: Code): Code => cat(a, simd(0x11)),
  const: (v: number): Code => cat(i32.const(v), simd(0x11)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xae)),
  mul: (a: Code, b: Code): Code => cat(a, b, simd(0xb5)),
  shl: (a: Code, bits: Code): Code => cat(a, bits, simd(0xab)),
  shrU: (a: Code, bits: Code): Code => cat(a, bits, simd(0xad)),
  sub: (a: Code, b: Code): Code => cat(a, b, simd(0xb1)),
  geS: (a: Code, b: Code): Code => cat(a, b, simd(0x3f)),
  ltS: (a: Code, b: Code): Code => cat(a, b, simd(0x39)),
  lane: (a: Code, lane: number): Code => cat(a, simd(0x1b), [lane]),
};

export const f64x2 = {
  /** The low two f32 lanes as f64. */
  promoteLow: (a: Code): Code => cat(a, simd(0x5f)),
  /** f32x4 [a0, a1, 0, 0] from the two f64 lanes. */
  demote: (a: Code): Code => cat(a, simd(0x5e)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xf0)),
  lane: (a: Code, lane: number): Code => cat(a, simd(0x21), [lane]),
};

export const memory = {
  copy: (dst: Code, src: Code, bytes: Code): Code => cat(dst, src, bytes, [0xfc, ...uleb(10), 0, 0]),
};

// ---- functions and modules ----

export interface Func {
  name: string;
  params: number; // all i32
  locals: number[]; // types of the extra locals, in index order after the params
  body: Code;
}

/** Builds a function: `build` gets fresh local allocators and returns the body. */
export function fn(name: string, params: number, build: (local: (type: number) => number) => Code): Func {
  const locals: number[] = [];
  const local = (type: number) => {
    locals.push(type);
    return params + locals.length - 1;
  };
  const body = build(local);
  return { name, params, locals, body };
}

const utf8 = (s: string): Code => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const vec = (items: Code[]): Code => [...uleb(items.length), ...cat(...items)];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

/** A module importing `env.memory` (shared or not) and exporting `funcs` by name. */
export function moduleBytes(funcs: Func[], sharedMemory: boolean): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  // A shared memory must declare a maximum: 65536 pages (4 GiB), the most a 32-bit memory can have.
  const limits = sharedMemory ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const codes = funcs.map((f) => {
    const groups: Code[] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      groups.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vec(groups), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
}

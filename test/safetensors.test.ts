import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../src/engine/errors';
import {
  DTYPE_SIZES,
  bf16ToFloat,
  decodeSafetensors,
  e4m3ToFloat,
  encodeSafetensors,
  halfToFloat,
  readSafetensors,
  readSafetensorsHeader,
  type NamedTensor,
} from '../src/engine/checkpoint/safetensors';

const LABEL = 'model.safetensors';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'st-test-'));
}

/** header JSON (padded with spaces to a multiple of 8 unless told otherwise) + data → file bytes */
function buildFile(headerJson: string, data: Buffer = Buffer.alloc(0), pad = true): Buffer {
  let h = Buffer.from(headerJson, 'utf8');
  if (pad && h.length % 8 !== 0) h = Buffer.concat([h, Buffer.alloc(8 - (h.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

function assertUserError(fn: () => unknown, label: string, ...includes: (string | RegExp)[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkUserError(caught, label, includes);
}

async function assertUserErrorAsync(fn: () => Promise<unknown>, label: string, ...includes: (string | RegExp)[]): Promise<string> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  return checkUserError(caught, label, includes);
}

function checkUserError(caught: unknown, label: string, includes: (string | RegExp)[]): string {
  assert.ok(caught !== undefined, 'expected an error, none was thrown');
  assert.ok(isUserError(caught), `expected a UserError, got ${(caught as Error)?.name}: ${(caught as Error)?.message}`);
  const msg = (caught as Error).message;
  assert.ok(!/[\r\n\u2028\u2029]/.test(msg), `message must be one line: ${JSON.stringify(msg)}`);
  assert.ok(msg.includes(label), `message must name the file ${label}: ${msg}`);
  assert.ok(msg.includes(' — '), `message must say what to do: ${msg}`);
  for (const inc of includes) {
    if (typeof inc === 'string') assert.ok(msg.includes(inc), `expected ${JSON.stringify(inc)} in: ${msg}`);
    else assert.match(msg, inc);
  }
  return msg;
}

function sameFloats(actual: Float32Array, expected: ArrayLike<number>): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `index ${i}: got ${actual[i]}, want ${expected[i]}`);
  }
}

function sampleTensors(): Map<string, NamedTensor> {
  const big = new Float32Array(3 * 5);
  for (let i = 0; i < big.length; i++) big[i] = Math.sin(i) * 100;
  const backing = new Float32Array([9, 9, 1.25, -0, NaN, Infinity, -Infinity, 1e-45, 3.4e38, 9]);
  return new Map<string, NamedTensor>([
    ['electra.embeddings.word_embeddings.weight', { shape: [3, 5], data: big }],
    ['scalar', { shape: [], data: new Float32Array([0.5]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ['special', { shape: [2, 2, 2], data: backing.subarray(1, 9) }], // a view with a byteOffset
    ['Zed', { shape: [1], data: new Float32Array([7]) }],
  ]);
}

// ─────────────────────────────────────────── writing ───────────────────────────────────────────

test('encode matches the spec byte for byte (metadata first, keys sorted, F32 LE, header padded with spaces)', () => {
  const tensors = new Map<string, NamedTensor>([
    ['b', { shape: [2], data: new Float32Array([1, -2]) }],
    ['a', { shape: [], data: new Float32Array([0.5]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { format: 'pt' });
  const header =
    '{"__metadata__":{"format":"pt"},' +
    '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
  assert.equal(header.length, 138); // → 6 spaces of padding to 144
  const expected = Buffer.concat([
    Buffer.from([144, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from(header + '      ', 'utf8'),
    Buffer.from([0x00, 0x00, 0x00, 0x3f]), // 0.5
    Buffer.from([0x00, 0x00, 0x80, 0x3f]), // 1
    Buffer.from([0x00, 0x00, 0x00, 0xc0]), // -2
  ]);
  assert.deepEqual(bytes, expected);
});

test('encode without metadata has no __metadata__ key and header length is a multiple of 8', () => {
  const bytes = encodeSafetensors(sampleTensors());
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  assert.equal(header.__metadata__, undefined);
  // keys sorted by bytes: uppercase before lowercase
  assert.deepEqual(Object.keys(header), ['Zed', 'electra.embeddings.word_embeddings.weight', 'empty', 'scalar', 'special']);
});

test('encode rejects programming mistakes with plain Errors', () => {
  assert.throws(() => encodeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]])), /needs 3 values/);
  assert.throws(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]])), /reserved/);
  assert.throws(() => encodeSafetensors(new Map([['x', { shape: [-1], data: new Float32Array(0) }]])), /bad shape/);
});

// ─────────────────────────────────────────── round trip ───────────────────────────────────────────

test('round trip in memory and through a file keeps names, shapes, bits and metadata', async () => {
  const tensors = sampleTensors();
  const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'héllo ✓' });
  const check = (out: { tensors: Map<string, NamedTensor>; metadata: Record<string, string> }) => {
    assert.deepEqual(out.metadata, { format: 'pt', note: 'héllo ✓' });
    assert.deepEqual([...out.tensors.keys()].sort(), [...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = out.tensors.get(name)!;
      assert.deepEqual(got.shape, t.shape, name);
      sameFloats(got.data, t.data);
      assert.equal(got.data.byteOffset, 0);
    }
  };
  check(decodeSafetensors(bytes, LABEL));
  const dir = tmpDir();
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, bytes);
  check(await readSafetensors(file));
  const header = await readSafetensorsHeader(file);
  assert.equal(header.entries.length, tensors.size);
  assert.equal(header.dataStart + header.dataLength, bytes.length);
  fs.rmSync(dir, { recursive: true });
});

test('expectedShapes: matching and absent names pass; a mismatch names both shapes', () => {
  const bytes = encodeSafetensors(
    new Map([['electra.encoder.layer.0.attention.self.query.weight', { shape: [64, 64], data: new Float32Array(64 * 64) }]]),
  );
  decodeSafetensors(bytes, LABEL, {
    expectedShapes: new Map([
      ['electra.encoder.layer.0.attention.self.query.weight', [64, 64]],
      ['not.in.file', [1, 2, 3]],
    ]),
  });
  const msg = assertUserError(
    () =>
      decodeSafetensors(bytes, LABEL, {
        expectedShapes: new Map([['electra.encoder.layer.0.attention.self.query.weight', [256, 256]]]),
      }),
    LABEL,
  );
  assert.equal(
    msg,
    'model.safetensors: electra.encoder.layer.0.attention.self.query.weight has shape [64,64] but config.json says [256,256] — the checkpoint and its config.json do not belong together',
  );
  assertUserError(
    () => decodeSafetensors(bytes, LABEL, { expectedShapes: new Map([['electra.encoder.layer.0.attention.self.query.weight', [64, 64, 1]]]) }),
    LABEL,
    '[64,64,1]',
  );
});

// ──────────────────────────────────── hand-built mixed-dtype file ────────────────────────────────────

function le16(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}

function handBuiltFile(): Buffer {
  // F16 [2,5]: 1, -2, smallest subnormal, largest subnormal, +inf, -inf, NaN, -0, 65504 (max), 0.333251953125
  const f16 = le16([0x3c00, 0xc000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x7bff, 0x3555]);
  // BF16 [7]: 1, -3, smallest subnormal (2^-133), +inf, -inf, NaN, 3.140625
  const bf16 = le16([0x3f80, 0xc040, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x4049]);
  // F32 [3] starts at byte 34: not 4-aligned within the data buffer
  const f32 = Buffer.alloc(12);
  [1.5, -2.25, 1e-3].forEach((v, i) => f32.writeFloatLE(v, i * 4));
  // I64 [1,5] (like position_ids)
  const i64 = Buffer.alloc(40);
  [0n, 1n, -1n, 511n, 1n << 40n].forEach((v, i) => i64.writeBigInt64LE(v, i * 8));
  const u8 = Buffer.from([0, 7, 255]);
  const bool = Buffer.from([0, 1, 2]);
  const f64 = Buffer.alloc(16);
  f64.writeDoubleLE(0.1, 0);
  f64.writeDoubleLE(-1e300, 8);
  const i32 = Buffer.alloc(8);
  i32.writeInt32LE(-5, 0);
  i32.writeInt32LE(123456, 4);
  const f8 = Buffer.from([0x38, 0x7e, 0x7f, 0x01, 0xb8]); // E4M3: 1, 448, NaN, 2^-9, -1
  const e5m2 = Buffer.from([0x3c, 0x7c, 0x01]); // E5M2: 1, inf, 2^-16
  const data = Buffer.concat([f16, bf16, f32, i64, u8, bool, f64, i32, f8, e5m2]);
  assert.equal(data.length, 20 + 14 + 12 + 40 + 3 + 3 + 16 + 8 + 5 + 3);
  // Written by hand, in file order (not sorted — readers must not care).
  const header =
    '{"__metadata__":{"format":"pt","source":"hand"},' +
    '"half":{"dtype":"F16","shape":[2,5],"data_offsets":[0,20]},' +
    '"brain":{"dtype":"BF16","shape":[7],"data_offsets":[20,34]},' +
    '"single":{"dtype":"F32","shape":[3],"data_offsets":[34,46]},' +
    '"electra.embeddings.position_ids":{"dtype":"I64","shape":[1,5],"data_offsets":[46,86]},' +
    '"bytes":{"dtype":"U8","shape":[3],"data_offsets":[86,89]},' +
    '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[89,92]},' +
    '"double":{"dtype":"F64","shape":[2],"data_offsets":[92,108]},' +
    '"int":{"dtype":"I32","shape":[2,1],"data_offsets":[108,116]},' +
    '"fp8":{"dtype":"F8_E4M3","shape":[5],"data_offsets":[116,121]},' +
    '"fp8b":{"dtype":"F8_E5M2","shape":[3],"data_offsets":[121,124]}}';
  return buildFile(header, data);
}

function checkHandBuilt(out: { tensors: Map<string, NamedTensor>; metadata: Record<string, string> }): void {
  assert.deepEqual(out.metadata, { format: 'pt', source: 'hand' });
  const t = (n: string) => {
    const x = out.tensors.get(n);
    assert.ok(x, `missing ${n}`);
    return x;
  };
  assert.deepEqual(t('half').shape, [2, 5]);
  sameFloats(t('half').data, [1, -2, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, NaN, -0, 65504, 0.333251953125]);
  sameFloats(t('brain').data, [1, -3, 2 ** -133, Infinity, -Infinity, NaN, 3.140625]);
  sameFloats(t('single').data, [1.5, -2.25, Math.fround(1e-3)]);
  assert.deepEqual(t('electra.embeddings.position_ids').shape, [1, 5]);
  sameFloats(t('electra.embeddings.position_ids').data, [0, 1, -1, 511, 2 ** 40]);
  sameFloats(t('bytes').data, [0, 7, 255]);
  sameFloats(t('mask').data, [0, 1, 1]);
  sameFloats(t('double').data, [Math.fround(0.1), -Infinity]); // -1e300 overflows float32
  assert.deepEqual(t('int').shape, [2, 1]);
  sameFloats(t('int').data, [-5, 123456]);
  sameFloats(t('fp8').data, [1, 448, NaN, 2 ** -9, -1]);
  sameFloats(t('fp8b').data, [1, Infinity, 2 ** -16]);
}

test('hand-built file with F16/BF16/F32/I64/U8/BOOL/F64/I32/F8 decodes to the right float32 values', async () => {
  const file = handBuiltFile();
  checkHandBuilt(decodeSafetensors(file, LABEL));
  // also when the bytes sit at an odd offset inside a bigger ArrayBuffer
  const shifted = Buffer.alloc(file.length + 3);
  file.copy(shifted, 3);
  checkHandBuilt(decodeSafetensors(shifted.subarray(3), LABEL));
  checkHandBuilt(decodeSafetensors(new Uint8Array(file), LABEL));
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'hand.safetensors'), file);
  checkHandBuilt(await readSafetensors(path.join(dir, 'hand.safetensors')));
  fs.rmSync(dir, { recursive: true });
});

test('an unpadded header and a header with no tensors are fine', () => {
  const out = decodeSafetensors(buildFile('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4), false), LABEL);
  sameFloats(out.tensors.get('x')!.data, [0]);
  const empty = decodeSafetensors(buildFile('{}'), LABEL);
  assert.equal(empty.tensors.size, 0);
  assert.deepEqual(empty.metadata, {});
});

test('half/bfloat16/fp8 conversions', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0x0400), 2 ** -14); // smallest normal
  assert.equal(halfToFloat(0x03ff), 2 ** -14 - 2 ** -24); // largest subnormal
  assert.ok(Object.is(halfToFloat(0x8000), -0));
  assert.equal(halfToFloat(0x8001), -(2 ** -24));
  assert.ok(Number.isNaN(halfToFloat(0xfe01)));
  // every finite positive half is strictly above the previous one
  for (let h = 1; h < 0x7c00; h++) assert.ok(halfToFloat(h) > halfToFloat(h - 1), `h=${h.toString(16)}`);
  assert.equal(bf16ToFloat(0x3f80), 1);
  assert.equal(bf16ToFloat(0x0080), 2 ** -126);
  assert.equal(bf16ToFloat(0x8000), -0);
  assert.ok(Number.isNaN(bf16ToFloat(0xffc1)));
  assert.equal(e4m3ToFloat(0x08), 2 ** -6); // smallest normal
  assert.equal(e4m3ToFloat(0x07), 7 * 2 ** -9); // largest subnormal
  assert.ok(Number.isNaN(e4m3ToFloat(0xff)));
});

// ─────────────────────────────────────────── defensive ───────────────────────────────────────────

const F32_ENTRY = (offsets: string, shape = '[2]') => `{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}`;

test('file shorter than 8 bytes', () => {
  for (const n of [0, 1, 7]) assertUserError(() => decodeSafetensors(Buffer.alloc(n), LABEL), LABEL, 'too short', 'not safetensors');
});

test('header length beyond the file', () => {
  const b = Buffer.alloc(1234);
  b.writeBigUInt64LE(9007199254740n);
  const msg = assertUserError(() => decodeSafetensors(b, LABEL), LABEL);
  assert.equal(
    msg,
    "model.safetensors: header length 9007199254740 is beyond the file's 1234 bytes — the file is truncated or not safetensors; re-save or re-download it",
  );
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(0xffffffffffffffffn);
  assertUserError(() => decodeSafetensors(huge, LABEL), LABEL, '18446744073709551615');
  // a PyTorch zip / random text is "not safetensors"
  assertUserError(() => decodeSafetensors(Buffer.from('PK\x03\x04 this is a zip file, really'), LABEL), LABEL, 'not safetensors');
});

test('header length over the 8 MB limit (sparse file, read from disk)', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'big.safetensors');
  const fh = await fs.promises.open(file, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(150_000_000n);
  await fh.write(len, 0, 8, 0);
  await fh.truncate(200_000_000); // sparse: costs no disk
  await fh.close();
  await assertUserErrorAsync(() => readSafetensors(file), file, '150000000', '8 MB');
  await assertUserErrorAsync(() => readSafetensors(file, { label: 'big.safetensors' }), 'big.safetensors');
  fs.rmSync(dir, { recursive: true });
});

test('header not UTF-8, not JSON, not an object', () => {
  const badUtf8 = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20, 0x20])]);
  assertUserError(() => decodeSafetensors(badUtf8, LABEL), LABEL, 'UTF-8');
  assertUserError(() => decodeSafetensors(buildFile('{"a": '), LABEL), LABEL, 'not valid JSON');
  assertUserError(() => decodeSafetensors(buildFile('{"a":1}\n{"b":2}'), LABEL), LABEL, 'not valid JSON');
  assertUserError(() => decodeSafetensors(buildFile('[1,2]'), LABEL), LABEL, 'array, not an object');
  assertUserError(() => decodeSafetensors(buildFile('null'), LABEL), LABEL, 'null, not an object');
  assertUserError(() => decodeSafetensors(buildFile('42'), LABEL), LABEL, 'number, not an object');
  assertUserError(() => decodeSafetensors(buildFile('"str"'), LABEL), LABEL, 'string, not an object');
});

test('__metadata__ must be an object of strings', () => {
  assertUserError(() => decodeSafetensors(buildFile('{"__metadata__":[1]}'), LABEL), LABEL, '__metadata__');
  assertUserError(() => decodeSafetensors(buildFile('{"__metadata__":{"format":1}}'), LABEL), LABEL, '__metadata__', 'format');
});

test('entry not an object or missing a field', () => {
  const data = Buffer.alloc(8);
  assertUserError(() => decodeSafetensors(buildFile('{"w":5}', data), LABEL), LABEL, 'w', 'not an object');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"shape":[2],"data_offsets":[0,8]}}', data), LABEL), LABEL, 'w', '"dtype"');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F32","data_offsets":[0,8]}}', data), LABEL), LABEL, '"shape"');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F32","shape":[2]}}', data), LABEL), LABEL, '"data_offsets"');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}', data), LABEL), LABEL, 'not an array');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', data), LABEL), LABEL, '[begin, end]');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":{"a":0}}}', data), LABEL), LABEL, '[begin, end]');
});

test('unknown dtype lists the known ones', () => {
  const msg = assertUserError(
    () => decodeSafetensors(buildFile('{"w":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,1]}}', Buffer.alloc(1)), LABEL),
    LABEL,
    '"Q4_K"',
  );
  for (const d of Object.keys(DTYPE_SIZES)) assert.ok(msg.includes(d), `${d} listed`);
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}', Buffer.alloc(8)), LABEL), LABEL, 'unknown dtype 7');
  // prototype keys are not dtypes
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"toString","shape":[2],"data_offsets":[0,8]}}', Buffer.alloc(8)), LABEL), LABEL, 'unknown dtype');
});

test('bad data_offsets: non-integers, negative, end < begin, beyond the data', () => {
  const data = Buffer.alloc(8);
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,8.5]')}}`, data), LABEL), LABEL, 'not integers');
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('["0",8]')}}`, data), LABEL), LABEL, 'not integers');
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,1e300]')}}`, data), LABEL), LABEL, 'not integers');
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[-8,0]')}}`, data), LABEL), LABEL, 'negative');
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[8,0]')}}`, data), LABEL), LABEL, 'before begin');
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,400]')}}`, data), LABEL), LABEL, 'beyond the 8-byte data buffer');
});

test('byte length must equal product(shape) × dtype size', () => {
  const data = Buffer.alloc(16);
  assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,8]', '[3]')}}`, data), LABEL), LABEL, 'needs 12 bytes', 'span 8');
  assertUserError(() => decodeSafetensors(buildFile('{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}', data), LABEL), LABEL, 'needs 8 bytes');
  // absurd shapes: the product is not even computed past the data size, and nothing huge is allocated
  assertUserError(
    () => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,16]', '[9007199254740991,9007199254740991,4]')}}`, data), LABEL),
    LABEL,
    'more than 16',
  );
  // an empty tensor is fine with begin === end
  const ok = decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[16,16]', '[0,1000000000]')},"v":${F32_ENTRY('[0,16]', '[4]')}}`, data), LABEL);
  assert.equal(ok.tensors.get('w')!.data.length, 0);
});

test('shape entries must be non-negative integers', () => {
  const data = Buffer.alloc(8);
  for (const shape of ['[1.5]', '[-2]', '["2"]', '[null]', '[[2]]', '[1e400]']) {
    assertUserError(() => decodeSafetensors(buildFile(`{"w":${F32_ENTRY('[0,8]', shape)}}`, data), LABEL), LABEL, 'not a non-negative integer');
  }
});

test('overlapping tensors', () => {
  const data = Buffer.alloc(12);
  assertUserError(
    () => decodeSafetensors(buildFile(`{"a":${F32_ENTRY('[0,8]')},"b":${F32_ENTRY('[4,12]')}}`, data), LABEL),
    LABEL,
    'overlap',
    'a',
    'b',
  );
  assertUserError(
    () => decodeSafetensors(buildFile(`{"a":${F32_ENTRY('[0,8]')},"b":${F32_ENTRY('[0,8]')}}`, data), LABEL),
    LABEL,
    'overlap',
  );
  // touching is fine; gaps are tolerated
  decodeSafetensors(buildFile(`{"a":${F32_ENTRY('[0,8]', '[2]')},"b":${F32_ENTRY('[8,12]', '[1]')}}`, data), LABEL);
  decodeSafetensors(buildFile(`{"b":${F32_ENTRY('[8,12]', '[1]')}}`, data), LABEL);
});

test('hostile names stay on one line in messages', () => {
  const msg = assertUserError(
    () => decodeSafetensors(buildFile('{"evil\\nname\\r\\u2028x":{"dtype":"XX","shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1)), LABEL),
    LABEL,
  );
  assert.ok(msg.includes('evil\\nname'), msg);
  assert.ok(!msg.includes('\u2028'));
  const long = 'n'.repeat(5000);
  const m2 = assertUserError(() => decodeSafetensors(buildFile(`{"${long}":{"dtype":"XX","shape":[1],"data_offsets":[0,1]}}`, Buffer.alloc(1)), LABEL), LABEL);
  assert.ok(m2.length < 600, `message stays short (${m2.length})`);
  // __proto__ as a tensor name is just a name
  const out = decodeSafetensors(buildFile(`{"__proto__":${F32_ENTRY('[0,8]')}}`, Buffer.alloc(8)), LABEL);
  assert.deepEqual([...out.tensors.keys()], ['__proto__']);
});

// ─────────────────────────────────────────── truncation / fuzz ───────────────────────────────────────────

test('a file cut at any point is a UserError, never a RangeError', async () => {
  const full = encodeSafetensors(sampleTensors(), { format: 'pt' });
  for (let cut = 0; cut < full.length; cut++) {
    assertUserError(() => decodeSafetensors(full.subarray(0, cut), LABEL), LABEL);
  }
  const hand = handBuiltFile();
  for (let cut = 0; cut < hand.length; cut++) assertUserError(() => decodeSafetensors(hand.subarray(0, cut), 'hand.safetensors'), 'hand.safetensors');
  const dir = tmpDir();
  const file = path.join(dir, 'model.safetensors');
  for (const cut of [0, 3, 8, 20, full.length - 40, full.length - 1]) {
    fs.writeFileSync(file, full.subarray(0, cut));
    await assertUserErrorAsync(() => readSafetensors(file), 'model.safetensors');
  }
  fs.rmSync(dir, { recursive: true });
});

test('random corruption gives a UserError or a valid decode, nothing else', () => {
  const full = handBuiltFile();
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let userErrors = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const b = Buffer.from(full);
    const flips = 1 + Math.floor(rand() * 3);
    for (let f = 0; f < flips; f++) {
      const at = rand() < 0.7 ? 8 + Math.floor(rand() * (Number(full.readBigUInt64LE(0)))) : Math.floor(rand() * b.length);
      b[at] = rand() < 0.5 ? Math.floor(rand() * 256) : '0123456789[]{},:"-.eE'.charCodeAt(Math.floor(rand() * 21));
    }
    try {
      decodeSafetensors(b, LABEL);
    } catch (e) {
      assert.ok(isUserError(e), `trial ${trial}: ${(e as Error).name}: ${(e as Error).message}`);
      assert.ok(!/[\r\n]/.test((e as Error).message));
      userErrors++;
    }
  }
  assert.ok(userErrors > 100);
});

test('readSafetensors: missing file and folder are UserErrors', async () => {
  const dir = tmpDir();
  await assertUserErrorAsync(() => readSafetensors(path.join(dir, 'nope.safetensors')), 'nope.safetensors', 'not found');
  await assertUserErrorAsync(() => readSafetensors(dir), dir, 'folder');
  fs.rmSync(dir, { recursive: true });
});

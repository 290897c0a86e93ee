/**
 * safetensors read/write.
 *
 * Layout: 8-byte little-endian uint64 header length N, then N bytes of UTF-8 JSON
 *   {"__metadata__": {"k": "v"}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * (offsets relative to the first byte after the header), then the data buffer: tensors little-endian, row-major.
 *
 * The writer produces what Hugging Face's `safetensors` writes for float32 tensors: `__metadata__` first, tensor
 * keys sorted (by UTF-8 bytes), data laid out in that order, compact JSON, header padded with spaces to a multiple
 * of 8. The reader treats the file as untrusted: every problem is a one-line `UserError` naming the file, what is
 * wrong and how to fix it — never a RangeError from reading past a buffer, never a huge allocation driven by a
 * lying header. Everything comes back as Float32Array (F16/BF16/F8/F64/integer/bool are converted).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { jsonErrorWhere, UserError } from '../errors';

export type Dtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of every dtype the reader understands. */
export const DTYPE_SIZES: Readonly<Record<Dtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};
const KNOWN_DTYPES = Object.keys(DTYPE_SIZES) as Dtype[];

/** A tensor as the engine holds it: always float32, row-major. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** One tensor's header entry after validation. `begin`/`end` are relative to the start of the data buffer. */
export interface SafetensorsEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute file offset of the data buffer (8 + header length). */
  dataStart: number;
  /** Byte length of the data buffer (file size − dataStart). */
  dataLength: number;
}

export interface DecodeOptions {
  /** For every name here that is present in the file, the file's shape must equal this one exactly. */
  expectedShapes?: ReadonlyMap<string, number[]>;
  /**
   * Refuse any tensor whose stored bytes exceed this. Default: with expectedShapes, the largest expected tensor
   * stored as F64 (nothing a config allows is bigger); without, MAX_TENSOR_BYTES.
   */
  maxTensorBytes?: number;
  /** Refuse NaN/±Inf values, naming the tensor (model weights: a diverged or corrupt checkpoint). */
  requireFinite?: boolean;
}

export interface ReadOptions extends DecodeOptions {
  /** How the file is named in error messages; default: the path as given. */
  label?: string;
}

/**
 * Header limits, checked before JSON.parse. The format allows 100 MB, but ELECTRA-large's header is ~60 KB: a
 * header of megabytes or a nesting deeper than {name: {shape: [..]}} is a hostile or broken file, refused at once.
 */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;
export const MAX_HEADER_DEPTH = 4;
export const MAX_TENSORS = 50_000;
/** Largest single tensor read without expected shapes (ELECTRA-large's word embeddings are 125 MB). */
export const MAX_TENSOR_BYTES = 1024 ** 3;
/** Reads go in pieces: fs.read takes at most 2 GiB − 1 bytes at once (larger aborts the process). */
const READ_CHUNK_BYTES = 64 * 1024 * 1024;

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
const REWRITE_FIX = 're-save or re-download it';

// ───────────────────────────────────────── writing ─────────────────────────────────────────

/**
 * Encode float32 tensors as a safetensors file: dtype F32, `__metadata__` first (if given), tensor keys sorted,
 * header padded with spaces to a multiple of 8, data contiguous in key order.
 * Throws a plain Error for programming mistakes (data length ≠ product(shape), bad shape, reserved name).
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata?: Record<string, string>,
): Buffer {
  const names = [...tensors.keys()].sort(compareUtf8);
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const meta = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata value for ${JSON.stringify(k)} must be a string`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error('encodeSafetensors: "__metadata__" is reserved and cannot be a tensor name');
    const t = tensors.get(name)!;
    const count = checkedElementCount(t.shape, name);
    if (!(t.data instanceof Float32Array)) throw new Error(`encodeSafetensors: ${name}: data must be a Float32Array`);
    if (t.data.length !== count) {
      throw new Error(`encodeSafetensors: ${name}: shape ${JSON.stringify(t.shape)} needs ${count} values but data has ${t.data.length}`);
    }
    const end = offset + count * 4;
    parts.push(`${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + headerLength + offset);
  out.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(out, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], pos + i * 4);
    }
    pos += data.byteLength;
  }
  return out;
}

function checkedElementCount(shape: unknown, name: string): number {
  if (!Array.isArray(shape)) throw new Error(`encodeSafetensors: ${name}: shape must be an array`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`encodeSafetensors: ${name}: bad shape ${JSON.stringify(shape)}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new Error(`encodeSafetensors: ${name}: shape ${JSON.stringify(shape)} is too large`);
  return n;
}

/** Byte-wise UTF-8 order (what Rust's BTreeMap / sorted String keys give), not UTF-16 code-unit order. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ───────────────────────────────────────── reading ─────────────────────────────────────────

/** Decode a whole safetensors file held in memory. `fileLabel` names the file in error messages. */
export function decodeSafetensors(
  bytes: Buffer | Uint8Array,
  fileLabel: string,
  options: DecodeOptions = {},
): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = readHeaderLength(buf.subarray(0, Math.min(8, buf.length)), buf.length, fileLabel);
  const header = parseHeader(buf.subarray(8, 8 + headerLength), buf.length, fileLabel);
  checkExpectedShapes(header.entries, options.expectedShapes, fileLabel);
  checkTensorSizes(header.entries, options, fileLabel);
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.entries) {
    const raw = buf.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    const data = toFloat32(e, raw, fileLabel);
    if (options.requireFinite) checkFinite(e, data, fileLabel);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Read a safetensors file from disk. The header is validated before any tensor data is read, and tensors are read
 * one at a time straight into their Float32Arrays (no whole-file buffer), so multi-GB files are fine.
 */
export async function readSafetensors(
  path: string,
  options: ReadOptions = {},
): Promise<{ tensors: Map<string, NamedTensor>; metadata: Record<string, string> }> {
  const label = options.label ?? path;
  const fh = await openForRead(path, label);
  try {
    const header = await readHeaderFrom(fh, label);
    checkExpectedShapes(header.entries, options.expectedShapes, label);
    checkTensorSizes(header.entries, options, label);
    const tensors = new Map<string, NamedTensor>();
    for (const e of header.entries) {
      const length = e.end - e.begin;
      const position = header.dataStart + e.begin;
      let data: Float32Array;
      if (e.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
        data = allocFloat32(length / 4, e, label);
        await readExactly(fh, new Uint8Array(data.buffer), position, label);
      } else {
        let raw: Buffer;
        try {
          raw = Buffer.allocUnsafe(length);
        } catch {
          throw tooLarge(e, label);
        }
        await readExactly(fh, raw, position, label);
        data = toFloat32(e, raw, label);
      }
      if (options.requireFinite) checkFinite(e, data, label);
      tensors.set(e.name, { shape: e.shape, data });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/** Read and validate only the header (names, dtypes, shapes, metadata) without loading any tensor data. */
export async function readSafetensorsHeader(path: string, options: { label?: string } = {}): Promise<SafetensorsHeader> {
  const label = options.label ?? path;
  const fh = await openForRead(path, label);
  try {
    return await readHeaderFrom(fh, label);
  } finally {
    await fh.close();
  }
}

async function openForRead(path: string, label: string): Promise<fs.promises.FileHandle> {
  try {
    const fh = await fs.promises.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new UserError(`${label}: is a folder, not a safetensors file — pass the .safetensors file inside it`);
    }
    return fh;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${label}: file not found — check the path`);
    if (code === 'EISDIR') throw new UserError(`${label}: is a folder, not a safetensors file — pass the .safetensors file inside it`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`${label}: permission denied — check the file's permissions`);
    throw new UserError(`${label}: cannot open (${oneLine((e as Error).message)}) — check the path and permissions`);
  }
}

async function readHeaderFrom(fh: fs.promises.FileHandle, label: string): Promise<SafetensorsHeader> {
  const fileSize = (await fh.stat()).size;
  const prefix = Buffer.alloc(Math.min(8, fileSize));
  await readExactly(fh, prefix, 0, label);
  const headerLength = readHeaderLength(prefix, fileSize, label);
  const headerBytes = Buffer.alloc(headerLength);
  await readExactly(fh, headerBytes, 8, label);
  return parseHeader(headerBytes, fileSize, label);
}

async function readExactly(fh: fs.promises.FileHandle, target: Uint8Array, position: number, label: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await fh.read(target, done, Math.min(target.length - done, READ_CHUNK_BYTES), position + done);
    if (bytesRead === 0) {
      throw new UserError(`${label}: file ended early while reading (it is truncated or was changed during loading) — ${REWRITE_FIX}`);
    }
    done += bytesRead;
  }
}

/** Validates the 8-byte prefix against the file size; returns the header length N. */
function readHeaderLength(prefix: Buffer, fileSize: number, label: string): number {
  if (fileSize < 8) {
    throw new UserError(
      `${label}: file is only ${fileSize} byte${fileSize === 1 ? '' : 's'}, too short to be safetensors (needs an 8-byte header length) — the file is truncated or not safetensors; ${REWRITE_FIX}`,
    );
  }
  const n = prefix.readBigUInt64LE(0);
  if (n > BigInt(fileSize - 8)) {
    throw new UserError(
      `${label}: header length ${n} is beyond the file's ${fileSize} bytes — the file is truncated or not safetensors; ${REWRITE_FIX}`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new UserError(
      `${label}: header length ${n} exceeds the ${MAX_HEADER_BYTES / 1024 / 1024} MB limit for ELECTRA checkpoints — the file is corrupt or not an ELECTRA safetensors file; ${REWRITE_FIX}`,
    );
  }
  return Number(n);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses and validates the JSON header. `fileSize` is the full file size (8 + N + data). */
function parseHeader(headerBytes: Uint8Array, fileSize: number, label: string): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  const dataLength = fileSize - dataStart;
  let text: string;
  try {
    text = utf8.decode(headerBytes);
  } catch {
    throw new UserError(`${label}: header is not valid UTF-8 — the file is corrupt or not safetensors; ${REWRITE_FIX}`);
  }
  checkNesting(text, label);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UserError(
      `${label}: header is not valid JSON (${jsonErrorWhere(e)}) — the file is corrupt or not safetensors; ${REWRITE_FIX}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(
      `${label}: header is JSON ${Array.isArray(parsed) ? 'array' : parsed === null ? 'null' : typeof parsed}, not an object — the file is corrupt or not safetensors; ${REWRITE_FIX}`,
    );
  }

  const metadata: Record<string, string> = Object.create(null);
  const entries: SafetensorsEntry[] = [];
  const keys = Object.keys(parsed as object);
  if (keys.length > MAX_TENSORS + 1) {
    throw new UserError(`${label}: header lists ${keys.length} tensors, over the ${MAX_TENSORS} limit — the file is corrupt or not an ELECTRA checkpoint; ${REWRITE_FIX}`);
  }
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new UserError(`${label}: __metadata__ is not an object of strings — the file is corrupt; ${REWRITE_FIX}`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new UserError(
            `${label}: __metadata__ value for ${show(k)} is ${brief(JSON.stringify(v))}, not a string — the file is corrupt; ${REWRITE_FIX}`,
          );
        }
        metadata[k] = v;
      }
      continue;
    }
    entries.push(validateEntry(name, raw, dataLength, label));
  }

  // No two tensors may share bytes. Empty tensors occupy nothing and cannot overlap.
  const occupied = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < occupied.length; i++) {
    const prev = occupied[i - 1];
    const cur = occupied[i];
    if (cur.begin < prev.end) {
      throw new UserError(
        `${label}: tensors ${show(prev.name)} [${prev.begin}, ${prev.end}) and ${show(cur.name)} [${cur.begin}, ${cur.end}) overlap in the data buffer — the file is corrupt; ${REWRITE_FIX}`,
      );
    }
  }
  return { entries, metadata: { ...metadata }, dataStart, dataLength };
}

function validateEntry(name: string, raw: unknown, dataLength: number, label: string): SafetensorsEntry {
  const where = `${label}: tensor ${show(name)}`;
  const corrupt = `the file is corrupt; ${REWRITE_FIX}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${where}: header entry is ${brief(JSON.stringify(raw))}, not an object — ${corrupt}`);
  }
  const r = raw as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.prototype.hasOwnProperty.call(r, field)) {
      throw new UserError(`${where}: header entry has no "${field}" — ${corrupt}`);
    }
  }
  if (typeof r.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZES, r.dtype)) {
    throw new UserError(
      `${where}: unknown dtype ${brief(JSON.stringify(r.dtype))} (known: ${KNOWN_DTYPES.join(', ')}) — re-save the checkpoint in float32 (e.g. model.float().save_pretrained(dir, safe_serialization=True))`,
    );
  }
  const dtype = r.dtype as Dtype;

  if (!Array.isArray(r.shape)) {
    throw new UserError(`${where}: shape is ${brief(JSON.stringify(r.shape))}, not an array — ${corrupt}`);
  }
  const shape = r.shape as unknown[];
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new UserError(
        `${where}: shape ${brief(JSON.stringify(shape))} has an entry that is not a non-negative integer — ${corrupt}`,
      );
    }
  }
  const dims = shape as number[];

  const offs = r.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2) {
    throw new UserError(`${where}: data_offsets is ${brief(JSON.stringify(offs))}, not [begin, end] — ${corrupt}`);
  }
  const [begin, end] = offs as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end)) {
    throw new UserError(`${where}: data_offsets ${brief(JSON.stringify(offs))} are not integers — ${corrupt}`);
  }
  if (begin < 0 || end < 0) {
    throw new UserError(`${where}: data_offsets ${JSON.stringify(offs)} are negative — ${corrupt}`);
  }
  if (end < begin) {
    throw new UserError(`${where}: data_offsets end ${end} is before begin ${begin} — ${corrupt}`);
  }
  if (end > dataLength) {
    throw new UserError(
      `${where}: data_offsets end ${end} is beyond the ${dataLength}-byte data buffer — the file is truncated or corrupt; ${REWRITE_FIX}`,
    );
  }

  let count = 1;
  if (!dims.includes(0)) {
    for (const d of dims) {
      count *= d;
      if (count > dataLength) break; // cannot possibly fit; also keeps the product a safe integer
    }
  } else {
    count = 0;
  }
  const need = count * DTYPE_SIZES[dtype];
  if (need !== end - begin) {
    throw new UserError(
      `${where}: shape ${JSON.stringify(dims)} × ${dtype} needs ${count > dataLength ? 'more than ' + dataLength : need} bytes but data_offsets [${begin}, ${end}] span ${end - begin} — ${corrupt}`,
    );
  }
  return { name, dtype, shape: dims.slice(), begin, end };
}

function checkExpectedShapes(
  entries: readonly SafetensorsEntry[],
  expected: ReadonlyMap<string, number[]> | undefined,
  label: string,
): void {
  if (!expected) return;
  for (const e of entries) {
    const want = expected.get(e.name);
    if (want === undefined) continue;
    if (want.length !== e.shape.length || want.some((d, i) => d !== e.shape[i])) {
      throw new UserError(
        `${label}: ${show(e.name)} has shape ${JSON.stringify(e.shape)} but config.json says ${JSON.stringify(want)} — the checkpoint and its config.json do not belong together`,
      );
    }
  }
}

/**
 * JSON nesting depth, in one pass over the text, before JSON.parse and validation recurse into it: a header of a
 * million '[' would overflow the stack later.
 */
function checkNesting(text: string, label: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_HEADER_DEPTH) {
        throw new UserError(`${label}: header nests deeper than ${MAX_HEADER_DEPTH} levels — the file is corrupt or not safetensors; ${REWRITE_FIX}`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** Per-tensor and whole-file byte limits, so a lying header cannot make the reader allocate gigabytes. */
function checkTensorSizes(entries: readonly SafetensorsEntry[], options: DecodeOptions, label: string): void {
  let limit = options.maxTensorBytes ?? MAX_TENSOR_BYTES;
  if (options.maxTensorBytes === undefined && options.expectedShapes && options.expectedShapes.size > 0) {
    limit = 0;
    for (const shape of options.expectedShapes.values()) limit = Math.max(limit, shape.reduce((a, b) => a * b, 1) * 8);
    limit = Math.min(Math.max(limit, 1024 * 1024), MAX_TENSOR_BYTES * 4);
  }
  for (const e of entries) {
    if (e.end - e.begin > limit) {
      throw new UserError(
        `${label}: tensor ${show(e.name)} with shape ${JSON.stringify(e.shape)} is ${e.end - e.begin} bytes, over the ${limit}-byte limit${options.expectedShapes ? ' for this config.json' : ''} — the file does not belong to this model or is corrupt; ${REWRITE_FIX}`,
      );
    }
  }
}

/** NaN or ±Inf weights: a diverged run or a corrupt file; loading it would only give null scores. */
function checkFinite(e: SafetensorsEntry, data: Float32Array, label: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      throw new UserError(
        `${label}: tensor ${show(e.name)} holds ${v} at index ${i} — the checkpoint is diverged or corrupt; use an earlier checkpoint or ${REWRITE_FIX}`,
      );
    }
  }
}

// ──────────────────────────────────────── conversion ────────────────────────────────────────

function allocFloat32(n: number, e: SafetensorsEntry, label: string): Float32Array {
  try {
    return new Float32Array(n);
  } catch {
    throw tooLarge(e, label);
  }
}

function tooLarge(e: SafetensorsEntry, label: string): UserError {
  return new UserError(
    `${label}: tensor ${show(e.name)} with shape ${JSON.stringify(e.shape)} is too large to load into memory — use a smaller model or a machine with more memory`,
  );
}

/** Convert one tensor's raw little-endian bytes (exactly count × dtype size long) into a fresh Float32Array. */
function toFloat32(e: SafetensorsEntry, raw: Uint8Array, label: string): Float32Array {
  const n = raw.length / DTYPE_SIZES[e.dtype];
  const out = allocFloat32(n, e, label);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(raw); // copy out: the source may be unaligned
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16': {
      const table = halfTable();
      for (let i = 0; i < n; i++) out[i] = table[raw[2 * i] | (raw[2 * i + 1] << 8)];
      break;
    }
    case 'BF16': {
      const bits = new Uint32Array(out.buffer); // same host byte order as `out`, so this is endian-safe
      for (let i = 0; i < n; i++) bits[i] = ((raw[2 * i] | (raw[2 * i + 1] << 8)) << 16) >>> 0;
      break;
    }
    case 'F8_E5M2':
      for (let i = 0; i < n; i++) out[i] = halfTable()[raw[i] << 8]; // E5M2 is the top byte of an IEEE half
      break;
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) out[i] = e4m3ToFloat(raw[i]);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = raw[i];
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = raw[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

let halfLookup: Float32Array | undefined;
/** All 65536 halves as float32 (256 KB, built on first use): F16 decoding becomes one table load per value. */
function halfTable(): Float32Array {
  if (!halfLookup) {
    halfLookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfLookup[h] = halfToFloat(h);
  }
  return halfLookup;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 binary16 bits → number (exact: every half is representable as a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal (keeps -0)
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** bfloat16 bits → number (the top 16 bits of a float32). */
export function bf16ToFloat(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0];
}

/** OCP FP8 E4M3 ("e4m3fn": bias 7, no infinities, S.1111.111 is NaN) → number. */
export function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 0xf && mant === 0x7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (8 + mant) * 2 ** (exp - 10);
}

// ─────────────────────────────────────── message helpers ───────────────────────────────────────

/** A tensor/metadata name as it appears in a message: plain if printable and short, else JSON-quoted and cut. */
function show(name: string): string {
  if (/^[\x21-\x7e]{1,200}$/.test(name)) return name;
  const quoted = JSON.stringify(name).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return brief(quoted, 200);
}

function brief(s: string | undefined, max = 60): string {
  const t = s === undefined ? 'undefined' : s;
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

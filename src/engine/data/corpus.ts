/**
 * Corpus discovery and constant-memory streaming of documents.
 *
 * discoverCorpus(specs)  files / folders / globs  ->  sorted list of text files (+ warnings)
 * readDocuments(files)   streams documents: blank lines separate documents, a file end ends one,
 *                        long documents come out in bounded parts, over-long lines are cut at
 *                        whitespace, CRLF handled, invalid UTF-8 is a UserError naming the byte.
 * readTextChunks(files, maxChars)  plain text for tokenizer training, capped at maxChars.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import fg from 'fast-glob';
import { UserError } from '../errors';
import { readRegularFile } from './regular-file';

export interface CorpusFile {
  /** Absolute path. */
  path: string;
  bytes: number;
}

export interface CorpusWarning {
  file: string;
  message: string;
}

export interface DiscoverOptions {
  /** Folder that relative specs are resolved against (default: process.cwd()). */
  cwd?: string;
  /**
   * Extensions picked up when recursing a folder (with or without the dot, case-insensitive).
   * Default: DEFAULT_TEXT_EXTENSIONS. Files named explicitly, or matched by a glob, are always
   * taken whatever their extension (binaries are still dropped with a warning).
   */
  extensions?: readonly string[];
  /** At most this many files (default MAX_CORPUS_FILES). */
  maxFiles?: number;
  /** At most this many bytes in all (default MAX_CORPUS_BYTES). */
  maxBytes?: number;
}

/**
 * Bounds on what a corpus may name. Reading streams in constant memory, but the list of paths is held, and a glob
 * over a system folder (or a tree with a link to itself) must end in a message, not a heap abort.
 */
export const MAX_CORPUS_FILES = 200_000;
export const MAX_CORPUS_BYTES = 64 * 1024 ** 3;

/** Prose and source-code extensions picked up when a folder is given. Data/markup formats
 *  (json, csv, xml, html, svg, lock files) are left out: they are mostly noise for a language
 *  model; name them with a glob (e.g. "data/**\/*.csv") to include them. */
export const DEFAULT_TEXT_EXTENSIONS: readonly string[] = [
  // prose
  '.txt', '.text', '.md', '.markdown', '.mdx', '.rst', '.adoc', '.asciidoc', '.org', '.tex', '.wiki',
  // source code
  '.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.py', '.pyi', '.java', '.kt', '.kts',
  '.scala', '.groovy', '.c', '.h', '.cc', '.cpp', '.cxx', '.hpp', '.hh', '.hxx', '.cs', '.fs', '.go',
  '.rs', '.rb', '.php', '.swift', '.m', '.mm', '.dart', '.lua', '.pl', '.pm', '.r', '.jl', '.hs',
  '.ml', '.mli', '.ex', '.exs', '.erl', '.clj', '.elm', '.vue', '.svelte', '.sql', '.sh', '.bash',
  '.zsh', '.fish', '.ps1', '.bat', '.css', '.scss', '.less', '.yaml', '.yml', '.toml', '.ini', '.cfg',
  '.proto', '.graphql', '.zig', '.nim', '.v', '.sv', '.vhd',
];

/** Extension-less (or dotted-name) files that are text by convention. Compared case-insensitively. */
export const TEXT_FILE_NAMES: readonly string[] = [
  'readme', 'license', 'licence', 'copying', 'notice', 'authors', 'contributors', 'changelog', 'changes',
  'history', 'news', 'contributing', 'install', 'todo', 'makefile', 'dockerfile', 'gemfile', 'rakefile',
  'procfile', 'vagrantfile', 'cmakelists.txt',
];

const SNIFF_BYTES = 8 * 1024;
const IGNORE_ALWAYS = ['**/.git/**'];
const IGNORE_IN_FOLDERS = ['**/.git/**', '**/node_modules/**'];

function quoteSpecs(specs: readonly string[]): string {
  return specs.map((s) => JSON.stringify(s)).join(' ');
}

function normaliseExtensions(exts: readonly string[]): Set<string> {
  return new Set(exts.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
}

const CONVENTIONAL_STEMS = ['readme', 'license', 'licence', 'copying', 'notice', 'authors', 'changelog'];

function isTextName(file: string, exts: Set<string>): boolean {
  const base = path.basename(file).toLowerCase();
  const ext = path.extname(base);
  if (ext && exts.has(ext)) return true;
  if (TEXT_FILE_NAMES.includes(base)) return true;
  // Extension-less variants such as LICENSE-MIT or README_old.
  return ext === '' && CONVENTIONAL_STEMS.includes(base.split(/[-_]/)[0]);
}

async function statOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new UserError(`cannot access corpus path ${p}: ${code ?? (e as Error).message} — check its permissions`);
  }
}

function toGlobPattern(spec: string): string {
  // fast-glob wants forward slashes; on Windows a backslash path separator is not an escape.
  return path.sep === '\\' ? spec.replace(/\\/g, '/') : spec;
}

/**
 * Resolves files, folders and globs to a sorted, de-duplicated list of UTF-8 text files.
 * Throws UserError for a missing path, for nothing matched, and for a file whose first 8 KB is not
 * valid UTF-8 (the rest of each file is checked while it is streamed by readDocuments).
 */
export async function discoverCorpus(
  specs: readonly string[],
  options: DiscoverOptions = {},
): Promise<{ files: CorpusFile[]; warnings: CorpusWarning[] }> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const exts = normaliseExtensions(options.extensions ?? DEFAULT_TEXT_EXTENSIONS);
  const warnings: CorpusWarning[] = [];
  const cleanSpecs = specs.map((s) => s.trim()).filter((s) => s.length > 0);
  if (cleanSpecs.length === 0) {
    throw new UserError('no corpus given — pass one or more files, folders or quoted globs such as "data/**/*.txt"');
  }

  const maxFiles = options.maxFiles ?? MAX_CORPUS_FILES;
  const maxBytes = options.maxBytes ?? MAX_CORPUS_BYTES;
  const candidates = new Set<string>();
  for (const spec of cleanSpecs) {
    const abs = path.resolve(cwd, spec);
    const st = await statOrNull(abs);
    if (st === null) {
      if (fg.isDynamicPattern(toGlobPattern(spec))) {
        const pattern = toGlobPattern(spec);
        const matches = await globFiles(pattern, cwd, pattern.includes('node_modules') ? IGNORE_ALWAYS : IGNORE_IN_FOLDERS, spec, maxFiles - candidates.size, maxFiles);
        if (matches.length === 0) warnings.push({ file: spec, message: 'glob matched no files' });
        for (const m of matches) candidates.add(path.resolve(m));
        continue;
      }
      const where = abs === spec ? '' : ` (looked for ${abs})`;
      throw new UserError(
        `corpus path not found: ${spec}${where} — check the spelling, or pass an existing file, folder or quoted glob such as "docs/**/*.md"`,
      );
    }
    if (st.isDirectory()) {
      const matches = await globFiles('**/*', abs, IGNORE_IN_FOLDERS, spec, maxFiles - candidates.size, maxFiles);
      let taken = 0;
      for (const m of matches) {
        if (isTextName(m, exts)) {
          candidates.add(path.resolve(m));
          taken++;
        }
      }
      if (taken === 0) warnings.push({ file: spec, message: `folder has no text files (${[...exts].slice(0, 6).join(' ')} ...)` });
    } else if (st.isFile()) {
      candidates.add(abs);
    } else {
      throw new UserError(`corpus path ${spec} is neither a file nor a folder — pass text files, folders or globs`);
    }
  }

  const sorted = [...candidates].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) {
    throw new UserError(
      `no text files matched ${quoteSpecs(cleanSpecs)} — pass a folder containing .txt/.md/source files, a text file, or a quoted glob such as "data/**/*.txt"`,
    );
  }

  // Sniff every candidate; symlinks (and symlink loops) must not repeat a file: per real path keep
  // the real path itself if it was matched, else the shortest matched path.
  const chosen = new Map<string, { path: string; kind: 'binary' | 'text' | 'special'; bytes: number }>();
  const BATCH = 32;
  for (let i = 0; i < sorted.length; i += BATCH) {
    const batch = sorted.slice(i, i + BATCH);
    const sniffed = await Promise.all(batch.map((p) => sniffFile(p)));
    for (let j = 0; j < batch.length; j++) {
      const s = sniffed[j];
      const prev = chosen.get(s.realPath);
      if (prev) {
        const prevIsReal = prev.path === s.realPath;
        const thisIsReal = batch[j] === s.realPath;
        if (prevIsReal || (!thisIsReal && prev.path.length <= batch[j].length)) continue;
      }
      chosen.set(s.realPath, { path: batch[j], kind: s.kind, bytes: s.bytes });
    }
  }
  const files: CorpusFile[] = [];
  let binaries = 0;
  let total = 0;
  for (const c of [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (c.kind === 'binary') {
      binaries++;
      warnings.push({ file: c.path, message: 'skipped: looks binary (NUL byte in the first 8 KB)' });
    } else if (c.kind === 'special') {
      warnings.push({ file: c.path, message: 'skipped: not a regular file (a pipe, device or socket)' });
    } else {
      files.push({ path: c.path, bytes: c.bytes });
      total += c.bytes;
    }
  }
  if (total > maxBytes) {
    throw new UserError(
      `corpus ${quoteSpecs(cleanSpecs)} holds ${(total / 1024 ** 3).toFixed(1)} GB, over the ${(maxBytes / 1024 ** 3).toFixed(0)} GB limit — narrow the paths or globs to the text you mean`,
    );
  }
  if (files.length === 0) {
    throw new UserError(
      `no text files matched ${quoteSpecs(cleanSpecs)} — all ${binaries} matched file(s) look binary (e.g. ${sorted[0]}); point the corpus at UTF-8 text files`,
    );
  }
  return { files, warnings };
}

/**
 * Files a glob matches, without following symbolic links to folders (a link to an ancestor, as X11's
 * `bin/X11 -> .`, would repeat the tree forever); links to files are kept. More than `room` files is an error.
 */
async function globFiles(pattern: string, cwd: string, ignore: string[], spec: string, room: number, limit: number): Promise<string[]> {
  const out: string[] = [];
  const stream = fg.stream(pattern, {
    cwd, dot: false, onlyFiles: false, absolute: true, unique: true, suppressErrors: true, ignore,
    followSymbolicLinks: false, objectMode: true,
  });
  for await (const item of stream) {
    const entry = item as unknown as { path: string; dirent: fs.Dirent };
    if (entry.dirent.isSymbolicLink()) {
      const st = await fsp.stat(entry.path).catch(() => null);
      if (!st || st.isDirectory()) continue;
    } else if (entry.dirent.isDirectory()) continue;
    out.push(entry.path);
    if (out.length > room) {
      (stream as unknown as { destroy(): void }).destroy();
      throw new UserError(
        `corpus ${JSON.stringify(spec)} matches more than ${limit} files — narrow the glob or folder (e.g. "docs/**/*.md"), or split the corpus`,
      );
    }
  }
  return out;
}

const OPEN_NONBLOCK = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

async function sniffFile(p: string): Promise<{ kind: 'binary' | 'text' | 'special'; bytes: number; realPath: string }> {
  let handle: fsp.FileHandle | undefined;
  try {
    const realPath = await fsp.realpath(p);
    // Without blocking: opening a FIFO for reading would wait for a writer. Only regular files are read.
    handle = await fsp.open(p, OPEN_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'special', bytes: 0, realPath };
    const buf = Buffer.alloc(Math.min(SNIFF_BYTES, st.size));
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const head = buf.subarray(0, filled);
    if (head.includes(0)) return { kind: 'binary', bytes: st.size, realPath };
    const v = new Utf8Validator();
    const bad = v.push(head);
    if (bad >= 0) throw utf8Error(p, bad);
    return { kind: 'text', bytes: st.size, realPath };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read corpus file ${p}: ${code ?? (e as Error).message} — check that it exists and is readable`);
  } finally {
    await handle?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 validation with byte offsets (WHATWG decoder rules, as TextDecoder fatal mode applies).

/** Streaming UTF-8 validator that reports the byte offset where the first invalid sequence starts. */
export class Utf8Validator {
  private consumed = 0;
  private needed = 0;
  private seen = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private seqStart = 0;

  /** Feeds bytes; returns the absolute offset of the first invalid sequence, or -1. */
  push(bytes: Uint8Array): number {
    const base = this.consumed;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (this.needed === 0) {
        if (b < 0x80) continue;
        this.seqStart = base + i;
        if (b >= 0xc2 && b <= 0xdf) {
          this.needed = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) this.lower = 0xa0;
          if (b === 0xed) this.upper = 0x9f;
          this.needed = 2;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) this.lower = 0x90;
          if (b === 0xf4) this.upper = 0x8f;
          this.needed = 3;
        } else {
          return base + i;
        }
        this.seen = 0;
      } else {
        if (b < this.lower || b > this.upper) return this.seqStart;
        this.lower = 0x80;
        this.upper = 0xbf;
        if (++this.seen === this.needed) this.needed = 0;
      }
    }
    this.consumed += n;
    return -1;
  }

  /** Call at end of input: offset of a truncated final sequence, or -1. */
  end(): number {
    return this.needed > 0 ? this.seqStart : -1;
  }
}

function utf8Error(file: string, offset: number): UserError {
  return new UserError(
    `${file} is not valid UTF-8 (first bad byte at offset ${offset}) — convert it with: iconv -f latin1 -t utf-8 "${file}" -o "${file}.utf8" (then use the .utf8 file), or exclude it from the corpus`,
  );
}

/**
 * One whole text file (a document to score, not a corpus to stream), with the corpus's checks: not
 * binary, valid UTF-8 (the error names the first bad byte).
 */
export async function readTextFile(file: string): Promise<string> {
  const bytes = await readRegularFile(file, { fix: 'pass a readable text file' });
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) throw new UserError(`${file} looks binary (a NUL byte in the first 8 KB) — pass a text file`);
  const v = new Utf8Validator();
  const bad = v.push(bytes);
  if (bad >= 0 || v.end() >= 0) throw utf8Error(file, bad >= 0 ? bad : v.end());
  return bytes.toString('utf8');
}

/** Re-reads `file` to locate the first invalid UTF-8 byte (only on the error path). */
async function findInvalidUtf8Offset(file: string): Promise<number> {
  const v = new Utf8Validator();
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 64 * 1024 })) {
    const bad = v.push(chunk as Buffer);
    if (bad >= 0) return bad;
  }
  return v.end();
}

// ---------------------------------------------------------------------------------------------
// Streaming lines and documents.

export interface CorpusDocument {
  file: string;
  /** 0-based index of the document within its file. */
  docIndex: number;
  /** Non-blank lines (CR stripped; lines longer than maxLineChars come as several pieces). */
  lines: string[];
  /**
   * true when the document was too long to hold at once and the next yielded item carries more
   * lines of the same document (same file and docIndex). Packing keeps building across parts.
   */
  continues?: boolean;
}

export interface ReadDocumentsOptions {
  onWarning?: (w: CorpusWarning) => void;
  /** Lines longer than this are cut at whitespace into pieces (default 100_000 chars). */
  maxLineChars?: number;
  /** A document part holds at most this many lines (default 256). */
  maxDocLines?: number;
  /** A document part holds at most about this many chars (default 1_000_000). */
  maxDocChars?: number;
  /** Read-chunk size in bytes (default 64 KiB). */
  chunkBytes?: number;
  /**
   * What ends a document: a blank line (google-research/electra's corpus format, one sentence per line,
   * the default here) or only the end of the file (blank lines are then paragraph breaks, skipped).
   */
  documents?: DocumentBoundary;
}

export type DocumentBoundary = 'blank-lines' | 'file';

function isWhitespaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isWhitespaceCode(s.charCodeAt(i))) return false;
  return true;
}

/** Where to cut a too-long line: just after the last whitespace in (max/2, max], else at max. */
function cutPoint(s: string, max: number): number {
  const floor = Math.max(1, Math.floor(max / 2));
  for (let i = max - 1; i >= floor; i--) {
    if (isWhitespaceCode(s.charCodeAt(i))) return i + 1;
  }
  const c = s.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max; // don't split a surrogate pair
}

/** Streams a file as batches of lines (one batch per read chunk). */
async function* readLineBatches(
  file: string,
  maxBytes: number,
  maxLineChars: number,
  chunkBytes: number,
  onLongLine: () => void,
): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let carry = '';
  let carryIsCut = false; // carry continues a line that already produced pieces

  const pushLine = (line: string, out: string[]): void => {
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    let wasCut = carryIsCut;
    while (line.length > maxLineChars) {
      onLongLine();
      const cut = cutPoint(line, maxLineChars);
      const piece = line.slice(0, cut);
      if (!isBlank(piece)) out.push(piece);
      line = line.slice(cut);
      wasCut = true;
    }
    // The tail of a cut line must not look like a blank (document-separating) line.
    if (!(wasCut && isBlank(line))) out.push(line);
    carryIsCut = false;
  };

  const pushText = (text: string, out: string[]): void => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let line = text.slice(start, nl);
      if (carry.length > 0) {
        line = carry + line;
        carry = '';
      }
      pushLine(line, out);
      start = nl + 1;
    }
    if (start < text.length) carry = carry.length > 0 ? carry + text.slice(start) : text.slice(start);
    // Bound the unfinished line: emit full pieces as soon as it grows past the limit.
    while (carry.length > maxLineChars) {
      onLongLine();
      const cut = cutPoint(carry, maxLineChars);
      const piece = carry.slice(0, cut);
      if (!isBlank(piece)) out.push(piece);
      carry = carry.slice(cut);
      carryIsCut = true;
    }
  };

  let stream: fs.ReadStream | undefined;
  try {
    // Only the bytes the file held when the corpus was discovered: a file that keeps growing (a log being
    // written, a /proc file) must not make one pass endless.
    if (maxBytes <= 0) return;
    stream = fs.createReadStream(file, { highWaterMark: chunkBytes, end: maxBytes - 1 });
    for await (const chunk of stream) {
      let text: string;
      try {
        text = decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        stream.destroy();
        throw utf8Error(file, await findInvalidUtf8Offset(file));
      }
      const out: string[] = [];
      pushText(text, out);
      if (out.length > 0) yield out;
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch {
      throw utf8Error(file, await findInvalidUtf8Offset(file));
    }
    const out: string[] = [];
    if (tail) pushText(tail, out);
    if (carry.length > 0 || carryIsCut) {
      const last = carry;
      carry = '';
      pushLine(last, out);
    }
    if (out.length > 0) yield out;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) {
      throw new UserError(`cannot read corpus file ${file}: ${code} — check that it still exists and is readable, then run again`);
    }
    throw e;
  } finally {
    stream?.destroy();
  }
}

/**
 * Streams documents from `files` in order, in memory bounded by the options (never a whole file).
 * Blank lines separate documents (as google-research/electra's build_pretraining_dataset.py does; with
 * `documents: 'file'` they are skipped and a file is one document), and the end of a file ends its last one.
 */
export async function* readDocuments(
  files: readonly CorpusFile[],
  options: ReadDocumentsOptions = {},
): AsyncGenerator<CorpusDocument> {
  const maxLineChars = Math.max(16, options.maxLineChars ?? 100_000);
  const maxDocLines = Math.max(1, options.maxDocLines ?? 256);
  const maxDocChars = Math.max(1, options.maxDocChars ?? 1_000_000);
  const chunkBytes = Math.max(1, options.chunkBytes ?? 64 * 1024);
  const blankEndsDocument = (options.documents ?? 'blank-lines') === 'blank-lines';

  for (const f of files) {
    let warnedLong = false;
    const onLongLine = (): void => {
      if (warnedLong) return;
      warnedLong = true;
      options.onWarning?.({
        file: f.path,
        message: `has lines longer than ${maxLineChars} characters; they are cut at whitespace into pieces`,
      });
    };
    let docIndex = 0;
    let lines: string[] = [];
    let chars = 0;
    let full = false; // current part reached its limit; emit it once we know whether more follows

    for await (const batch of readLineBatches(f.path, f.bytes, maxLineChars, chunkBytes, onLongLine)) {
      for (const line of batch) {
        if (isBlank(line)) {
          if (blankEndsDocument && lines.length > 0) {
            yield { file: f.path, docIndex, lines, continues: false };
            docIndex++;
            lines = [];
            chars = 0;
            full = false;
          }
          continue;
        }
        if (full) {
          yield { file: f.path, docIndex, lines, continues: true };
          lines = [];
          chars = 0;
          full = false;
        }
        lines.push(line);
        chars += line.length;
        if (lines.length >= maxDocLines || chars >= maxDocChars) full = true;
      }
    }
    if (lines.length > 0) yield { file: f.path, docIndex, lines, continues: false };
  }
}

/**
 * Plain text for tokenizer training: yields document parts (lines joined by "\n"), stopping once
 * `maxChars` characters have been yielded in total (the last string is cut to fit).
 */
export async function* readTextChunks(
  files: readonly CorpusFile[],
  maxChars: number,
  options: ReadDocumentsOptions = {},
): AsyncGenerator<string> {
  let remaining = maxChars;
  if (!(remaining > 0)) return;
  for await (const doc of readDocuments(files, options)) {
    let text = doc.lines.join('\n');
    if (text.length >= remaining) {
      text = text.slice(0, remaining);
      const c = text.charCodeAt(text.length - 1);
      if (c >= 0xd800 && c <= 0xdbff) text = text.slice(0, -1);
      if (text) yield text;
      return;
    }
    remaining -= text.length + 1; // count the implied separator
    yield text;
    if (remaining <= 0) return;
  }
}

/**
 * run.json: everything that made a run. The options stay at the top level (every reader — resume, export-job,
 * evaluations, the Runs view — reads them there); `provenance` adds what the options do not say: the backend that
 * actually ran, the package versions, and the corpus as it was (each file's size and sha256), so a rerun can
 * tell whether it trains on the same text.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { version as electraLabVersion } from '../../../package.json';
import { UserError } from '../errors';
import { currentBackend, type BackendTier } from '../backend';
import { writeFileAtomic } from '../checkpoint/atomic';
import type { CorpusFile } from '../data/corpus';
import type { PretrainOptions } from './options';

export const RUN_FILE = 'run.json';

export interface CorpusManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export interface RunProvenance {
  /** The tier the run trained on (the options hold what was asked: `auto` picks one per machine), tfjs's name for
   *  it and its threads — what a rerun asks for to replay the same arithmetic. */
  backend: { tier: BackendTier | 'unknown'; tfjs: string; threads?: number };
  versions: { 'electra-lab': string; tfjs: string; node: string };
  platform: string;
  created: string;
  corpus: { files: CorpusManifestEntry[]; bytes: number };
}

export interface RunRecord {
  options: PretrainOptions;
  provenance?: RunProvenance;
}

/** Streams each file through sha256 (a corpus can be gigabytes: never read whole). */
export async function corpusManifest(files: readonly CorpusFile[]): Promise<RunProvenance['corpus']> {
  const entries: CorpusManifestEntry[] = [];
  for (const f of files) {
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(f.path).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve()).on('error', reject);
    });
    entries.push({ path: f.path, bytes: f.bytes, sha256: hash.digest('hex') });
  }
  return { files: entries, bytes: entries.reduce((s, e) => s + e.bytes, 0) };
}

export async function currentProvenance(files: readonly CorpusFile[]): Promise<RunProvenance> {
  const backend = currentBackend();
  return {
    backend: backend ? { tier: backend.tier, tfjs: backend.backend, threads: backend.threads } : { tier: 'unknown', tfjs: tf.getBackend() },
    versions: { 'electra-lab': electraLabVersion, tfjs: tf.version_core, node: process.versions.node },
    platform: `${process.platform}-${process.arch}`,
    created: new Date().toISOString(),
    corpus: await corpusManifest(files),
  };
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  const body = record.provenance ? { ...record.options, provenance: record.provenance } : record.options;
  await writeFileAtomic(path.join(runDir, RUN_FILE), JSON.stringify(body, null, 2) + '\n');
}

/** Reads run.json; `why` completes the error message (what the command needs the file for). */
export async function readRunRecord(runDir: string, why: string): Promise<RunRecord> {
  const runFile = path.join(runDir, RUN_FILE);
  let parsed: PretrainOptions & { provenance?: RunProvenance };
  try {
    parsed = JSON.parse(await fs.promises.readFile(runFile, 'utf8')) as PretrainOptions & { provenance?: RunProvenance };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
    throw new UserError(`${runFile} ${reason} — ${why}`);
  }
  const { provenance, ...options } = parsed;
  return { options, provenance };
}

/** What changed between two manifests, in one line (`undefined`: nothing). */
export function corpusChange(before: RunProvenance['corpus'], now: RunProvenance['corpus']): string | undefined {
  const old = new Map(before.files.map((f) => [f.path, f]));
  const cur = new Map(now.files.map((f) => [f.path, f]));
  const modified = [...cur.values()].filter((f) => old.has(f.path) && old.get(f.path)!.sha256 !== f.sha256).map((f) => f.path);
  const added = [...cur.keys()].filter((p) => !old.has(p));
  const removed = [...old.keys()].filter((p) => !cur.has(p));
  if (modified.length + added.length + removed.length === 0) return undefined;
  const list = (label: string, paths: string[]) => paths.length ? `${paths.length} ${label} (${paths.slice(0, 3).map((p) => path.basename(p)).join(', ')}${paths.length > 3 ? ', …' : ''})` : '';
  return [list('modified', modified), list('added', added), list('removed', removed)].filter(Boolean).join(', ');
}

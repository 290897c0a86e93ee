/**
 * Rerun: the same options (seed included) into a new folder, after saying whether the corpus is still the text
 * the run was made from; afterwards, whether the new losses equal the recorded ones step for step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverCorpus } from '../data/corpus';
import { corpusChange, corpusManifest, readRunRecord, type RunRecord } from './run-record';
import { pretrain, readMetrics, type TrainerEvent } from './trainer';

/** One line: is the corpus the one run.json recorded? */
export async function corpusCheck(record: RunRecord): Promise<{ changed: boolean | undefined; line: string }> {
  const corpus = await discoverCorpus(record.options.corpus);
  const now = await corpusManifest(corpus.files);
  const before = record.provenance?.corpus;
  if (!before) return { changed: undefined, line: `corpus: the run recorded no file hashes (made before run.json kept them) — ${now.files.length} files now` };
  const change = corpusChange(before, now);
  return change
    ? { changed: true, line: `corpus changed since the run: ${change}` }
    : { changed: false, line: `corpus unchanged: ${now.files.length} files, ${now.bytes} bytes, same sha256` };
}

/** `<runDir>-rerun`, or `-rerun-2`, … : never an existing folder. */
export function defaultRerunDir(runDir: string): string {
  let candidate = `${runDir}-rerun`;
  for (let n = 2; fs.existsSync(candidate); n++) candidate = `${runDir}-rerun-${n}`;
  return candidate;
}

/** Compares the logged losses of two runs at the steps both logged. */
export async function compareLosses(original: string, rerun: string): Promise<string> {
  const a = new Map((await readMetrics(original)).map((r) => [r.step, r.loss]));
  const b = await readMetrics(rerun);
  const common = b.filter((r) => a.has(r.step));
  if (common.length === 0) return 'losses: no logged step in common with the original';
  const first = common.find((r) => a.get(r.step) !== r.loss);
  return first
    ? `losses: differ from the original from step ${first.step} (${a.get(first.step)} then, ${first.loss} now)`
    : `losses: identical to the original at all ${common.length} logged steps in common`;
}

export async function rerun(
  runDir: string,
  given: { out?: string; steps?: number },
  onEvent: (e: TrainerEvent) => void,
  signal?: AbortSignal,
): Promise<{ out: string; corpus: string; losses: string }> {
  const source = path.resolve(runDir);
  const record = await readRunRecord(source, 'rerun needs the folder of a pretraining run');
  const corpus = await corpusCheck(record);
  onEvent({ kind: 'info', message: corpus.line });
  const target = path.resolve(given.out ?? defaultRerunDir(source));
  await pretrain({ ...record.options, out: target, steps: given.steps ?? record.options.steps }, onEvent, signal);
  return { out: target, corpus: corpus.line, losses: await compareLosses(source, target) };
}

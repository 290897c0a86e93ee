import * as path from 'node:path';
import { UserError } from '../engine/errors';
import { readRunRecord } from '../engine/pretrain/run-record';
import { rerun } from '../engine/pretrain/rerun';
import { progressPrinter } from './progress';
import { count, startBackend, type Flags } from './commands';

/** `electra-lab rerun <runDir> [--out dir] [--steps N] [--backend B]`: the run again, on the tier it ran on. */
export async function rerunCommand(flags: Flags, positionals: readonly string[], signal: AbortSignal): Promise<void> {
  const runDir = positionals[0];
  if (!runDir) throw new UserError('missing the run folder — usage: electra-lab rerun <runDir> [--out <dir>] [--steps N] [--backend B]');
  const record = await readRunRecord(path.resolve(runDir), 'rerun needs the folder of a pretraining run');
  // The same tier replays the same arithmetic; `auto` might pick another on this machine.
  const tier = record.provenance?.backend.tier;
  const backend = typeof flags.backend === 'string' ? flags.backend : tier && tier !== 'unknown' ? tier : record.options.backend;
  await startBackend({ ...flags, backend, threads: flags.threads ?? (record.provenance?.backend.threads !== undefined ? String(record.provenance.backend.threads) : undefined) });
  const result = await rerun(runDir, { out: typeof flags.out === 'string' ? flags.out : undefined, steps: count(flags, 'steps', 1e9) }, progressPrinter(), signal);
  process.stdout.write(`${result.corpus}\n${result.losses}\nrerun: ${result.out}\n`);
}

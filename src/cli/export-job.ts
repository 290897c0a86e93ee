import * as path from 'node:path';
import { UserError } from '../engine/errors';
import { exportJob } from '../engine/export/job';
import { runOptionsFromFlags, startBackend, type Flags } from './commands';

const USAGE = 'electra-lab export-job <runDir> --out <jobDir>  |  electra-lab export-job --corpus <path>... [run options] --out <jobDir>';

/** `export-job`: a run folder or a run spec → a PyTorch job folder (see src/engine/export/job.ts). */
export async function exportJobCommand(flags: Flags, positionals: string[]): Promise<void> {
  const out = flags.out;
  if (typeof out !== 'string') throw new UserError(`missing --out <jobDir> — usage: ${USAGE}`);
  const corpus = (flags.corpus as string[] | undefined) ?? [];
  if (positionals.length > 0 && corpus.length > 0) throw new UserError(`pass a run folder or --corpus, not both — usage: ${USAGE}`);
  if (positionals.length === 0 && corpus.length === 0) throw new UserError(`missing the run folder or --corpus — usage: ${USAGE}`);
  // A run spec needs fresh weights from the engine's initialiser, so the job starts where `pretrain` would.
  await startBackend(flags);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const source = positionals.length > 0 ? { runDir: positionals[0] } : { options: runOptionsFromFlags(flags, corpus) };
  const job = await exportJob(source, out, log);
  const result = { ...job, train: path.join(job.jobDir, 'train.py') };
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(`job written to ${job.jobDir}: ${job.examples} examples in ${job.shards} shard(s), from step ${job.startStep}\n`);
    process.stdout.write(`  cd ${job.jobDir} && torchrun --nproc_per_node=2 train.py --out runs/job   (README.md: GPUs, nodes, Slurm)\n`);
  }
}

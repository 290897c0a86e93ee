import * as path from 'node:path';
import { UserError } from '../engine/errors';
import { readSweepSpec } from '../engine/experiments/spec';
import { runSweep } from '../engine/experiments/sweep';
import { summaryMarkdown } from '../engine/experiments/summary';
import type { TrainerEvent } from '../engine/pretrain/trainer';
import { progressPrinter } from './progress';
import { startBackend, type Flags } from './commands';

/** `electra-lab sweep spec.json [--backend B]`: the runs one after another; Ctrl-C stops, the same command continues. */
export async function sweepCommand(flags: Flags, positionals: readonly string[], signal: AbortSignal): Promise<void> {
  const specFile = positionals[0];
  if (!specFile) throw new UserError('missing the spec file — usage: electra-lab sweep spec.json [--backend B] (docs/experiments.md)');
  // The whole spec is checked before the backend starts or anything is written.
  const sweep = readSweepSpec(specFile);
  const backend = typeof flags.backend === 'string' ? flags.backend : typeof sweep.base.backend === 'string' ? sweep.base.backend : 'auto';
  await startBackend({ ...flags, backend });
  let printer: (e: TrainerEvent) => void = progressPrinter();
  const result = await runSweep(sweep, (e) => {
    if (e.kind === 'info') process.stderr.write(`${e.message}\n`);
    else if (e.kind === 'run-skip') process.stderr.write(`${e.name}: finished earlier, skipped\n`);
    else if (e.kind === 'run-start') {
      printer = progressPrinter();
      process.stderr.write(`run ${e.index + 1}/${e.total}: ${e.name} (${e.steps} steps)\n`);
    } else if (e.kind === 'trainer') printer(e.event);
    else if (e.kind === 'run-done') process.stderr.write(`${e.result.name}: evaluated on ${e.result.examples} ${e.result.split} examples\n`);
  }, signal);
  if (result.stopped) {
    process.stderr.write(`stopped: ${result.finished} of ${sweep.runs.length} runs finished — run the same command again to continue\n`);
    return;
  }
  process.stdout.write(summaryMarkdown(result.summary!, sweep.eval.injectedFraction) + '\n');
  process.stderr.write(`summary: ${path.join(sweep.out, 'summary.md')} and summary.json\n`);
}

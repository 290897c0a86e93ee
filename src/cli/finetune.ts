import { UserError } from '../engine/errors';
import { finetune, type FinetuneEvent, type FinetuneResults } from '../engine/finetune/trainer';
import type { FinetuneRequest, SelectionMetric } from '../engine/finetune/options';
import { int, num, startBackend, type Flags } from './commands';

const USAGE = 'electra-lab finetune --checkpoint <dir> --train <file> --dev <file> --out <dir> [--task-name N] [--text-a col] [--text-b col] [--label col] [--regression] [--epochs N] [--lr X] [--batch B] [--seq L] [--layer-decay D] [--seed S] [--baseline random-init] [--head hf|dense] [--progress-json] [--json]';

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function required(flags: Flags, name: string): string {
  const v = str(flags, name);
  if (!v) throw new UserError(`missing --${name} — usage: ${USAGE}`);
  return v;
}

/** Plain progress on stderr: one line per epoch's dev metrics, not per step. */
function printer(): (e: FinetuneEvent) => void {
  const tty = process.stderr.isTTY === true;
  return (e) => {
    if (e.kind === 'step') {
      if (tty) process.stderr.write(`\r\x1b[Kstep ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)}`);
      return;
    }
    if (tty) process.stderr.write('\r\x1b[K');
    if (e.kind === 'info') process.stderr.write(`${e.message}\n`);
    else if (e.kind === 'warning') process.stderr.write(`warning: ${e.message}\n`);
    else if (e.kind === 'metrics') {
      const { epoch, step, elapsed_s, ...rest } = e.record;
      process.stderr.write(`epoch ${epoch} (step ${step}, ${elapsed_s.toFixed(0)} s): ${Object.entries(rest).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' | ')}\n`);
    } else if (e.kind === 'checkpoint') process.stderr.write(`best so far → ${e.dir}\n`);
    else if (e.kind === 'done') process.stderr.write(`${e.stopped ? 'stopped' : 'finished'} after step ${e.step}; results ${e.results}\n`);
  };
}

/** The baselines next to the score: "majority answer ("0") — accuracy 0.5620, …" and the random-init run's. */
function baselineLines(results: FinetuneResults): string[] {
  const fixed = (m: object) => Object.entries(m).filter(([k, v]) => k !== 'loss' && typeof v === 'number').map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ');
  const { majority, random_init: random } = results.baselines;
  const lines: string[] = [];
  if (majority) lines.push(`baseline, always answering "${majority.label}" — ${fixed({ ...majority, label: undefined })}\n`);
  if (random) lines.push(`baseline, the same fine-tuning from a random encoder (best epoch ${random.best_epoch}${random.stopped ? ', stopped' : ''}) — ${fixed(random.metrics)}\n`);
  return lines;
}

export async function finetuneCommand(flags: Flags, signal: AbortSignal): Promise<void> {
  const request: FinetuneRequest = {
    checkpoint: required(flags, 'checkpoint'), train: required(flags, 'train'), dev: required(flags, 'dev'), out: required(flags, 'out'),
    taskName: str(flags, 'task-name'), textA: str(flags, 'text-a'), textB: str(flags, 'text-b'), label: str(flags, 'label'),
    kind: flags.regression ? 'regression' : undefined,
    epochs: int(flags, 'epochs'), learningRate: num(flags, 'lr'), batchSize: int(flags, 'batch'), seqLength: int(flags, 'seq'),
    layerDecay: num(flags, 'layer-decay'), adamEpsilon: num(flags, 'adam-epsilon'), seed: int(flags, 'seed'), selectBy: str(flags, 'select-by') as SelectionMetric | undefined,
    randomInit: flags['random-init'] === true ? true : undefined,
    baseline: str(flags, 'baseline') as FinetuneRequest['baseline'],
    head: str(flags, 'head') as FinetuneRequest['head'],
  };
  const quiet = flags.json === true || flags['progress-json'] === true;
  await startBackend({ ...flags, json: quiet });
  // --progress-json: one JSON event per line on stdout, as `pretrain --progress-json` (the engine runs this as a child).
  const onEvent = flags['progress-json'] ? (e: FinetuneEvent) => process.stdout.write(JSON.stringify(e) + '\n') : printer();
  const results = await finetune(request, onEvent, signal);
  if (flags.json) process.stdout.write(JSON.stringify(results) + '\n');
  else if (!flags['progress-json']) {
    const show = (m: object) => Object.entries(m).map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ');
    process.stdout.write(`${results.task}: best dev epoch ${results.best_epoch} of ${results.epochs} (saved) — ${show(results.metrics)}\n`
      + `last step (epoch ${results.last_epoch}, what google-research/electra reports) — ${show(results.last_metrics)}\n`
      + baselineLines(results).join('')
      + `model: ${results.output}\nresults: ${results.results}\n`);
  }
}

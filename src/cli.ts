import { parseArgs } from 'node:util';
import { isUserError } from './engine/errors';
import { shutdownBackend } from './engine/backend';
import { corruptCommand, evalCommand, heatmapCommand, pretrainCommand, type Flags } from './cli/commands';
import { demoCommand } from './cli/demo';
import { finetuneCommand } from './cli/finetune';
import { exportHfCommand, importHfCommand } from './cli/hf';
import { doctorCommand } from './cli/doctor';
import { exportJobCommand } from './cli/export-job';
import { rerunCommand } from './cli/rerun';
import { sweepCommand } from './cli/sweep';

const HELP = `electra-lab — pretrain, inspect and evaluate ELECTRA on your own text

  electra-lab demo [--steps N] [--out dir]          pretrain a tiny model on the installed packages' docs, show a heatmap
  electra-lab pretrain --corpus <path|glob>... --out <runDir> [--preset tiny|small|base] [--steps N] [--batch B]
        [--seq L] [--vocab-size V] [--objective electra|electra-15|replace-mlm|all-tokens-mlm|mlm] [--embedding-sharing tied|none|gdes|all]
        [--training joint|two-stage|adversarial] [--adversarial-warmup N]
        [--gen-width F] [--gen-depth F] [--lr X] [--adam-epsilon E] [--clip-norm C] [--warmup N] [--save-every K] [--keep K] [--log-every N]
        [--sample-every N] [--seed S] [--documents file|blank-lines] [--masking electra|distinct] [--backend auto|gpu|node|native|wasm|cpu] [--threads T] [--resume]
  electra-lab rerun <runDir> [--out <dir>] [--steps N] [--backend B]   the run again from its run.json (same seed and
                                                    tier); says whether the corpus changed and whether the losses match
  electra-lab sweep <spec.json> [--backend B]      configurations one after another at equal steps or FLOPs, each
                                                    evaluated alike; summary.json + summary.md (docs/experiments.md)
  electra-lab heatmap --checkpoint <dir> <file> [--json]      discriminator P(replaced) per token
  electra-lab corrupt --checkpoint <dir> <file> [--seed S] [--json]   one corruption sample
  electra-lab eval --checkpoint <dir> --corpus <path>... [--split heldout|all] [--json]
  electra-lab finetune --checkpoint <dir> --train <file> --dev <file> --out <dir> [--task-name N] [--text-a col]
        [--text-b col] [--label col] [--regression] [--epochs N] [--lr X] [--batch B] [--seq L] [--layer-decay D]
        [--adam-epsilon E] [--seed S] [--select-by accuracy|f1|mcc|pearson|spearman] [--random-init] [--baseline random-init] [--head hf|dense] [--progress-json] [--json]
                                                    GLUE-style TSV (header row) or JSONL; best dev epoch → --out
  electra-lab import-hf <hf-folder> --out <dir> [--generator <hf-generator-folder>]   Hugging Face → checkpoint
  electra-lab export-hf <checkpoint> <folder>      checkpoint → HF ElectraForPreTraining folder (+ generator/)
  electra-lab export-job <runDir> --out <jobDir> | --corpus <path>... [pretrain options] --out <jobDir>
                                                    the run as a PyTorch job (torchrun/DDP): train.py, data shards
  electra-lab doctor [--backend B] [--json]         which compute tier runs here, and why each better one does not

  --verbose prints stack traces; exit code 1 means a problem with the input (the message says what to fix).`;

const OPTIONS = {
  corpus: { type: 'string', multiple: true },
  out: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' },
  seq: { type: 'string' }, 'vocab-size': { type: 'string' }, objective: { type: 'string' },
  'embedding-sharing': { type: 'string' }, training: { type: 'string' }, 'adversarial-warmup': { type: 'string' }, 'gen-width': { type: 'string' }, 'gen-depth': { type: 'string' },
  lr: { type: 'string' }, 'adam-epsilon': { type: 'string' }, 'clip-norm': { type: 'string' }, warmup: { type: 'string' }, 'save-every': { type: 'string' }, keep: { type: 'string' },
  'log-every': { type: 'string' }, 'sample-every': { type: 'string' }, seed: { type: 'string' },
  backend: { type: 'string' }, threads: { type: 'string' }, resume: { type: 'boolean' }, 'progress-json': { type: 'boolean' }, checkpoint: { type: 'string' },
  train: { type: 'string' }, dev: { type: 'string' }, 'task-name': { type: 'string' }, 'text-a': { type: 'string' },
  'text-b': { type: 'string' }, label: { type: 'string' }, regression: { type: 'boolean' }, epochs: { type: 'string' },
  'layer-decay': { type: 'string' }, 'select-by': { type: 'string' }, 'random-init': { type: 'boolean' }, baseline: { type: 'string' }, generator: { type: 'string' },
  masking: { type: 'string' }, head: { type: 'string' },
  json: { type: 'boolean' }, documents: { type: 'string' }, split: { type: 'string' }, 'max-examples': { type: 'string' }, verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`electra-lab: ${(e as Error).message.split('\n')[0]} — see electra-lab --help\n`);
    return 1;
  }
  const flags = parsed.values as Flags;
  const [command, ...positionals] = parsed.positionals;
  if (flags.help || !command) {
    process.stdout.write(HELP + '\n');
    return command || flags.help ? 0 : 1;
  }
  reportingTo = flags['progress-json'] ? 'engine' : 'terminal';
  // Training commands stop after the current step and keep their work; the others write nothing, so a signal
  // keeps its default action and ends them at once (a handler here would leave `eval` deaf to SIGTERM).
  if (TRAINING_COMMANDS.has(command)) {
    // First Ctrl-C: stop after this step and write a checkpoint; second: leave at once.
    process.on('SIGINT', () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (Ctrl-C again to quit without a checkpoint)\n');
      controller.abort();
    });
    process.on('SIGTERM', () => controller.abort());
  }
  try {
    switch (command) {
      case 'pretrain': await pretrainCommand(flags, controller.signal, positionals); break;
      case 'heatmap': await heatmapCommand(flags, positionals); break;
      case 'corrupt': await corruptCommand(flags, positionals); break;
      case 'eval': await evalCommand(flags, positionals); break;
      case 'demo': await demoCommand(flags, controller.signal); break;
      case 'finetune': await finetuneCommand(flags, controller.signal); break;
      case 'import-hf': await importHfCommand(flags, positionals); break;
      case 'export-hf': await exportHfCommand(flags, positionals); break;
      case 'doctor': await doctorCommand(flags); break;
      case 'export-job': await exportJobCommand(flags, positionals); break;
      case 'rerun': await rerunCommand(flags, positionals, controller.signal); break;
      case 'sweep': await sweepCommand(flags, positionals, controller.signal); break;
      default:
        process.stderr.write(`electra-lab: unknown command "${command}" — see electra-lab --help\n`);
        return 1;
    }
    return 0;
  } catch (e) {
    if (flags.verbose) process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.stderr.write(`\nelectra-lab: ${describeError(e)}\n`);
    return 1;
  }
}

/** One line for any failure; a user error's message already says what to fix. */
function describeError(e: unknown): string {
  if (isUserError(e)) return e.message;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const where = (e as NodeJS.ErrnoException).path?.replace(/\.tmp-\d+-[0-9a-f]+/g, '') ?? 'the output folder';
    return `disk full at ${where} — free some space and run again (earlier checkpoints are kept; pretrain --resume continues)`;
  }
  if (/out of memory|Aborted\(|Cannot enlarge memory|RangeError: Array buffer allocation/i.test(message)) {
    return 'ran out of memory — lower --batch or --seq (the wasm backend has a 4 GB heap), or use a GPU backend';
  }
  return `internal error: ${message.split('\n')[0]} (rerun with --verbose for details, and please report it)`;
}

const TRAINING_COMMANDS = new Set(['pretrain', 'demo', 'finetune', 'rerun', 'sweep']);

/** Stops a training command after its current step (it then writes a checkpoint, or keeps its best epoch). */
const controller = new AbortController();
let reportingTo: 'engine' | 'terminal' = 'terminal';

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') return;
  // Under --progress-json stdout is the engine: once it is gone (crashed, restarted) nobody follows the run,
  // so stop as Stop does — with a checkpoint, which Resume Run continues from — instead of losing the steps.
  if (reportingTo === 'engine') controller.abort();
  // `electra-lab heatmap ... | head` closes stdout early: that is not an error worth a stack trace.
  else process.exit(0);
});

main(process.argv.slice(2)).then(async (code) => {
  shutdownBackend();
  process.exitCode = code;
  // The threaded wasm build keeps worker threads alive, so leave explicitly — but only once stdout and stderr have
  // drained: a pipe takes 64 KB at a time, and exiting earlier cut `heatmap --json | cat` short with exit 0.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write('', () => resolve());
    stream.once('error', () => resolve());
  });
}


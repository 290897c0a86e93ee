import * as path from 'node:path';
import type { FinetuneParams, PretrainParams } from '../../protocol';
import { FINETUNE_DIR } from '../checkpoint/folder';
import { taskNameFromFile } from '../finetune/tasks';

/** A CLI run the engine launches: the folder that names it, and `electra-lab`'s arguments. */
export interface RunCommand {
  runDir: string;
  args: string[];
}

type FlagValue = string | number | boolean | undefined;

/** `--name value` for each option given, `--name` alone for `true`; the CLI validates the values, so a bad one
 *  fails there with its own one-line message instead of being dropped here. */
function flags(options: [name: string, value: FlagValue][]): string[] {
  return options.flatMap(([name, value]) => {
    if (value === undefined || value === false) return [];
    return value === true ? [`--${name}`] : [`--${name}`, String(value)];
  });
}

export function pretrainCommand(params: PretrainParams): RunCommand {
  const runDir = path.resolve(params.out);
  const args = ['pretrain', '--out', runDir, '--progress-json', ...params.corpus.flatMap((c) => ['--corpus', c]), ...flags([
    ['preset', params.preset], ['steps', params.steps], ['batch', params.batch], ['seq', params.seq],
    ['save-every', params.saveEvery], ['backend', params.backend], ['resume', params.resume],
  ])];
  return { runDir, args };
}

/** The fine-tuned model's folder when none is given: next to the results JSON, inside the checkpoint it came from. */
export function defaultFinetuneOut(checkpoint: string, train: string, taskName?: string): string {
  return path.join(path.resolve(checkpoint), FINETUNE_DIR, taskName ?? taskNameFromFile(train));
}

export function finetuneCommand(params: FinetuneParams): RunCommand {
  const runDir = path.resolve(params.out ?? defaultFinetuneOut(params.checkpoint, params.train, params.taskName));
  const args = ['finetune', '--out', runDir, '--progress-json', ...flags([
    ['checkpoint', path.resolve(params.checkpoint)], ['train', path.resolve(params.train)], ['dev', path.resolve(params.dev)],
    ['task-name', params.taskName], ['text-a', params.textA], ['text-b', params.textB], ['label', params.label],
    ['regression', params.regression], ['epochs', params.epochs], ['lr', params.lr], ['batch', params.batch], ['seq', params.seq],
    ['baseline', params.baseline], ['backend', params.backend],
  ])];
  return { runDir, args };
}

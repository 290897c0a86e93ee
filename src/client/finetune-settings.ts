/**
 * The editor's fine-tuning settings: task name, epochs, learning rate, batch size and the random-init baseline,
 * offered with the engine's defaults for the task (GLUE's epochs by task name, the learning rate by the
 * checkpoint's width) so "Start" is one key and changing one number is a few.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FinetuneParams } from '../protocol';
import { defaultLearningRate, glueDefaults, taskNameFromFile } from '../finetune-defaults';
import { pick } from './questions';

export type FinetuneSettings = Pick<FinetuneParams, 'taskName' | 'epochs' | 'lr' | 'batch' | 'baseline'>;
type Defaults = { taskName: string; epochs: number; batch: number; lr?: number };

/** Defaults as the engine resolves them (src/engine/finetune/options.ts): batch 32, 3 epochs unless GLUE says
 *  otherwise. An unreadable width leaves the learning rate to the engine, which reads the checkpoint itself. */
export function defaultSettings(taskName: string, hiddenSize: number | undefined): Defaults {
  const lr = hiddenSize ? defaultLearningRate(hiddenSize) : undefined;
  return { taskName, epochs: glueDefaults(taskName)?.epochs ?? 3, lr, batch: 32 };
}

async function hiddenSizeOf(checkpoint: string): Promise<number | undefined> {
  const file = path.join(checkpoint, 'config.json');
  const config = await fs.readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as { hidden_size?: unknown }, () => undefined);
  return typeof config?.hidden_size === 'number' ? config.hidden_size : undefined;
}

function ask(title: string, value: string, check: (v: string) => string | undefined): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title, value, validateInput: check });
}

const positiveInt = (v: string) => (/^\d+$/.test(v.trim()) && Number(v) > 0 ? undefined : 'a positive whole number');
const rate = (v: string) => (Number(v) > 0 && Number(v) < 1 ? undefined : 'a number between 0 and 1, e.g. 3e-4');
const name = (v: string) => (/^[\w.-]{1,100}$/.test(v) ? undefined : "letters, digits, '.', '_' or '-'");

/** Asks "start with these / also the random-init baseline / change them"; undefined when the user backs out. */
export async function askSettings(checkpoint: string, train: string): Promise<FinetuneSettings | undefined> {
  const hidden = await hiddenSizeOf(checkpoint);
  const d = defaultSettings(taskNameFromFile(train), hidden);
  const summary = `${d.taskName}: ${d.epochs} epochs, learning rate ${d.lr ?? 'by model size'}, batch ${d.batch}`;
  const choice = await pick([
    { label: 'Start', description: summary, id: 'start' },
    { label: 'Start, and fine-tune from random init too', description: 'the no-pretraining baseline (twice the time)',
      id: 'baseline' },
    { label: 'Change task name, epochs, learning rate, batch size…', description: summary, id: 'change' },
  ], 'ELECTRA: fine-tuning settings');
  if (!choice) return undefined;
  if (choice.id !== 'change') return { ...d, baseline: choice.id === 'baseline' ? 'random-init' : undefined };
  const taskName = await ask('ELECTRA: task name (names <checkpoint>/finetune/<task>.json)', d.taskName, name);
  if (taskName === undefined) return undefined;
  // GLUE's epochs follow the name chosen (RTE and STS-B train 10), unless the user types another number.
  const named = defaultSettings(taskName, hidden);
  const whose = glueDefaults(taskName) ? `GLUE ${taskName}'s` : 'the';
  const epochs = await ask(`ELECTRA: epochs (${whose} default is ${named.epochs})`, String(named.epochs), positiveInt);
  if (epochs === undefined) return undefined;
  const lr = await ask('ELECTRA: peak learning rate', String(named.lr ?? 1e-4), rate);
  if (lr === undefined) return undefined;
  const batch = await ask('ELECTRA: batch size (examples per optimizer step)', String(named.batch), positiveInt);
  if (batch === undefined) return undefined;
  const baseline = await pick([
    { label: 'No baseline run', id: false },
    { label: 'Also fine-tune from random init', description: 'twice the time', id: true },
  ], 'ELECTRA: run the random-init baseline too?');
  if (!baseline) return undefined;
  return { taskName, epochs: Number(epochs), lr: Number(lr), batch: Number(batch),
    baseline: baseline.id ? 'random-init' : undefined };
}

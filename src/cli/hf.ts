import { UserError } from '../engine/errors';
import { exportHf } from '../engine/checkpoint/hf-export';
import { importHf } from '../engine/checkpoint/hf-import';
import { startBackend, type Flags } from './commands';

export async function importHfCommand(flags: Flags, positionals: string[]): Promise<void> {
  const usage = 'electra-lab import-hf <hf-folder> --out <dir> [--generator <hf-generator-folder>] [--json]';
  const source = positionals[0];
  const out = typeof flags.out === 'string' ? flags.out : undefined;
  if (!source || !out) throw new UserError(`missing ${source ? '--out' : 'the Hugging Face folder'} — usage: ${usage}`);
  await startBackend(flags);
  const result = await importHf(source, out, typeof flags.generator === 'string' ? flags.generator : undefined);
  if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`imported ${source} → ${result.dir} (main head ${result.mainHead}${result.generator ? `, generator with ${result.embeddingSharing} embeddings` : ', no generator'})\n`);
}

export async function exportHfCommand(flags: Flags, positionals: string[]): Promise<void> {
  const usage = 'electra-lab export-hf <checkpoint> <folder> [--json]';
  const [checkpoint, out] = positionals;
  if (!checkpoint || !out) throw new UserError(`missing ${checkpoint ? 'the output folder' : 'the checkpoint'} — usage: ${usage}`);
  await startBackend(flags);
  const result = await exportHf(checkpoint, out);
  if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`exported ${checkpoint} → ${result.dir} (${result.architecture})${result.generatorDir ? ` and ${result.generatorDir} (ElectraForMaskedLM)` : ''}\n`);
}

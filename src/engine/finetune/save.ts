import * as path from 'node:path';
import { UserError } from '../errors';
import { writeFolderAtomic } from '../checkpoint/atomic';
import { hfConfigJson, hfTokenizerFiles } from '../checkpoint/hf-files';
import { readElectraFolder } from '../checkpoint/electra-folder';
import { encodeSafetensors } from '../checkpoint/safetensors';
import type { WordPieceTokenizer } from '../tokenizer';
import { SequenceClassifier } from './model';
import type { TaskKind } from './options';

export const CLASSIFIER_ARCHITECTURE = 'ElectraForSequenceClassification';

/** HF's label maps; a regression head has one output and HF's default name for it. */
export function labelMaps(kind: TaskKind, labels: readonly string[]): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const names = kind === 'regression' ? ['LABEL_0'] : labels;
  return { id2label: Object.fromEntries(names.map((l, i) => [String(i), l])), label2id: Object.fromEntries(names.map((l, i) => [l, i])) };
}

/**
 * Writes the fine-tuned model as a folder `ElectraForSequenceClassification.from_pretrained` (and
 * AutoTokenizer) loads, in one atomic swap: a reader sees the previous best epoch or this one, never a mix.
 */
export async function saveClassifier(
  dir: string, model: SequenceClassifier, tokenizer: WordPieceTokenizer, kind: TaskKind, labels: readonly string[], about: Record<string, unknown>,
): Promise<void> {
  const files = new Map<string, string | Uint8Array>();
  files.set('config.json', hfConfigJson(model.config, CLASSIFIER_ARCHITECTURE, {
    num_labels: model.numLabels,
    ...labelMaps(kind, labels),
    problem_type: kind === 'regression' ? 'regression' : 'single_label_classification',
    do_lower_case: tokenizer.options.lowercase,
    strip_accents: tokenizer.options.stripAccents,
    electra_lab: { finetune: about },
  }));
  for (const [name, text] of hfTokenizerFiles(tokenizer, model.config.max_position_embeddings)) files.set(name, text);
  files.set('model.safetensors', encodeSafetensors(model.exportTensors(), { format: 'pt' }));
  await writeFolderAtomic(dir, files);
}

/** Loads a saved ElectraForSequenceClassification folder (ours or transformers'). */
export async function loadClassifier(dir: string): Promise<{ model: SequenceClassifier; tokenizer: WordPieceTokenizer; labels: string[]; kind: TaskKind }> {
  const read = await readElectraFolder(dir);
  if (read.architecture !== 'ElectraForSequenceClassification') {
    throw new UserError(`${read.folder.modelPath} holds an ${read.architecture}, not an ElectraForSequenceClassification — pass the folder electra-lab finetune wrote (--out)`);
  }
  const raw = read.folder.config;
  const id2label = (raw.id2label ?? {}) as Record<string, string>;
  const out = read.tensors.get('classifier.out_proj.bias');
  const numLabels = out?.shape[0] ?? Object.keys(id2label).length;
  const kind: TaskKind = raw.problem_type === 'regression' || numLabels === 1 ? 'regression' : 'classification';
  const labels = Array.from({ length: numLabels }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`);
  const dropout = typeof raw.classifier_dropout === 'number' ? raw.classifier_dropout : undefined;
  const model = SequenceClassifier.fromTensors(read.config, read.tensors, numLabels, path.join(dir, 'model.safetensors'), dropout);
  return { model, tokenizer: read.tokenizer, labels, kind };
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../errors';
import { parameterShapes } from '../model/names';
import { writeFolderAtomic } from './atomic';
import { hfConfigJson, hfTokenizerFiles } from './hf-files';
import { loadCheckpoint } from './model-io';
import { encodeSafetensors, type NamedTensor } from './safetensors';

/** The generator's folder inside an export: `ElectraForMaskedLM.from_pretrained("<out>/generator")`. */
export const EXPORT_GENERATOR_DIR = 'generator';
const SAFETENSORS_METADATA = { format: 'pt' };

export interface ExportResult {
  dir: string;
  architecture: string;
  generatorDir?: string;
  tensors: number;
}

/**
 * Writes a checkpoint as Hugging Face folders: `<out>` loads with ElectraForPreTraining.from_pretrained (or
 * ElectraForMaskedLM for an MLM-objective checkpoint), `<out>/generator` with ElectraForMaskedLM. Float32
 * little-endian safetensors with HF state-dict names, written in one atomic folder swap.
 */
export async function exportHf(checkpointDir: string, outDir: string): Promise<ExportResult> {
  const out = path.resolve(outDir);
  if (await fs.stat(out).then(() => true, () => false)) {
    throw new UserError(`${out} already exists — export-hf writes a new folder; choose another path or delete it first`);
  }
  const loaded = await loadCheckpoint(checkpointDir);
  try {
    const { model, tokenizer } = loaded;
    const spec = model.spec;
    const head = spec.mainHead ?? 'discriminator';
    const tensors = model.exportTensors();
    const files = new Map<string, string | Uint8Array>();
    const maxLength = spec.discriminator.max_position_embeddings;
    // Both heads on one encoder (All-Tokens MLM) has no HF class; the discriminator half is what ElectraForPreTraining reads.
    const architecture = head === 'generator' ? 'ElectraForMaskedLM' : 'ElectraForPreTraining';
    const mainNames = parameterShapes(spec.discriminator, head === 'generator' ? 'generator' : 'discriminator');
    files.set('config.json', hfConfigJson(spec.discriminator, architecture));
    for (const [name, text] of hfTokenizerFiles(tokenizer, maxLength)) files.set(name, text);
    files.set('model.safetensors', encodeSafetensors(only(tensors.discriminator, mainNames), SAFETENSORS_METADATA));
    let generatorDir: string | undefined;
    if (spec.generator && tensors.generator) {
      const sub = EXPORT_GENERATOR_DIR;
      files.set(`${sub}/config.json`, hfConfigJson(spec.generator, 'ElectraForMaskedLM'));
      for (const [name, text] of hfTokenizerFiles(tokenizer, spec.generator.max_position_embeddings)) files.set(`${sub}/${name}`, text);
      files.set(`${sub}/model.safetensors`, encodeSafetensors(only(tensors.generator, parameterShapes(spec.generator, 'generator')), SAFETENSORS_METADATA));
      generatorDir = path.join(out, sub);
    }
    await writeFolderAtomic(out, files);
    return { dir: out, architecture, generatorDir, tensors: mainNames.size };
  } finally {
    loaded.model.dispose();
  }
}

function only(tensors: ReadonlyMap<string, NamedTensor>, names: ReadonlyMap<string, number[]>): Map<string, NamedTensor> {
  return new Map([...tensors].filter(([name]) => names.has(name)));
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../errors';
import { ElectraModel, type ElectraModelSpec } from '../model/electra';
import { EMBEDDING_LAYER_NORM, SHARED_EMBEDDINGS } from '../model/names';
import { readElectraFolder } from './electra-folder';
import { loadCheckpoint, saveModelCheckpoint } from './model-io';

export interface ImportResult {
  dir: string;
  mainHead: string;
  generator: boolean;
  embeddingSharing: string;
}

/**
 * Converts a Hugging Face ELECTRA folder into an ELECTRA Lab checkpoint, checking every tensor against
 * config.json on the way. With `generatorDir` (an ElectraForMaskedLM folder, e.g. google/electra-small-generator
 * next to google/electra-small-discriminator) the two become one checkpoint that can also corrupt text and
 * continue pretraining.
 */
export async function importHf(sourceDir: string, outDir: string, generatorDir?: string): Promise<ImportResult> {
  const out = path.resolve(outDir);
  if (await fs.stat(out).then(() => true, () => false)) {
    throw new UserError(`${out} already exists — import-hf writes a new folder; choose another --out or delete it first`);
  }
  const main = await loadCheckpoint(sourceDir);
  let model = main.model;
  try {
    if (generatorDir) model = await pairWithGenerator(main.model, main.tokenizer.toVocabText(), sourceDir, generatorDir);
    await saveModelCheckpoint(out, model, main.tokenizer, model.spec.mainHead === 'generator' ? 'mlm' : 'electra');
    return { dir: out, mainHead: model.spec.mainHead ?? 'discriminator', generator: !!model.spec.generator, embeddingSharing: model.spec.embeddingSharing };
  } finally {
    if (model !== main.model) model.dispose();
    main.model.dispose();
  }
}

async function pairWithGenerator(disc: ElectraModel, vocabText: string, sourceDir: string, generatorDir: string): Promise<ElectraModel> {
  if (disc.spec.mainHead === 'generator' || disc.spec.generator) {
    throw new UserError(`${sourceDir} is not a discriminator-only folder — pass the ElectraForPreTraining folder first and the ElectraForMaskedLM one with --generator`);
  }
  const gen = await readElectraFolder(generatorDir);
  if (gen.architecture !== 'ElectraForMaskedLM') {
    throw new UserError(`${gen.folder.modelPath} holds an ${gen.architecture}, not an ElectraForMaskedLM — --generator takes the generator's folder (e.g. google/electra-small-generator)`);
  }
  if (gen.folder.vocabText.replace(/\r/g, '').trimEnd() !== vocabText.trimEnd()) {
    throw new UserError(`${generatorDir}: its vocabulary differs from ${sourceDir}'s — a generator and a discriminator must share one vocab.txt`);
  }
  const discTensors = disc.exportTensors().discriminator;
  // google-research/electra shares token and position embeddings between the two; released pairs carry equal copies.
  const sameTables = gen.config.embedding_size === disc.spec.discriminator.embedding_size
    && SHARED_EMBEDDINGS.every((name) => equal(discTensors.get(name)?.data, gen.tensors.get(name)?.data));
  // The reference's tied pairs share the embedding LayerNorm too; a pair whose LayerNorms differ keeps two.
  const sameLayerNorm = EMBEDDING_LAYER_NORM.every((name) => equal(discTensors.get(name)?.data, gen.tensors.get(name)?.data));
  const spec: ElectraModelSpec = {
    discriminator: disc.spec.discriminator, generator: gen.config, embeddingSharing: sameTables ? 'tied' : 'none',
    mainHead: 'discriminator', tiedLayerNorm: sameLayerNorm,
  };
  return ElectraModel.fromTensors(spec, discTensors, gen.tensors, { discriminator: path.join(sourceDir, 'model.safetensors'), generator: gen.folder.modelPath });
}

function equal(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { generatorConfig, type ElectraConfig } from '../src/engine/model/config';
import { loadCheckpoint, saveModelCheckpoint } from '../src/engine/checkpoint/model-io';
import { readElectraFolder } from '../src/engine/checkpoint/electra-folder';
import { exportHf } from '../src/engine/checkpoint/hf-export';
import { importHf } from '../src/engine/checkpoint/hf-import';
import { encodeSafetensors, readSafetensors, readSafetensorsHeader, type NamedTensor } from '../src/engine/checkpoint/safetensors';
import { readCheckpointFolder } from '../src/engine/checkpoint/folder';
import { scoreText } from '../src/engine/inference/heatmap';
import { encoderInputs } from '../src/engine/pretrain/passes';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer';
import { randomBatch, tempDir, tinySpec } from './helpers';

const WORDS = ['the', 'model', 'reads', 'text', 'and', 'marks', 'tokens', 'replaced', 'original', '.', ','];
const vocab = (size: number) => [...SPECIAL_TOKENS, ...WORDS, ...Array.from({ length: size - SPECIAL_TOKENS.length - WORDS.length }, (_, i) => `w${i}`)];
const tokenizer = (size = 300) => WordPieceTokenizer.fromVocab(vocab(size));
const TEXT = 'The model reads text, and marks tokens replaced or original.';

/** HF's config.json for an ELECTRA of this shape, only HF's own fields. */
function hfConfig(c: ElectraConfig, architecture: string): string {
  return JSON.stringify({ architectures: [architecture], model_type: 'electra', ...c, transformers_version: '4.44.0' });
}

/** A tokenizer.json as `tokenizers` writes it for BERT (only the parts a reader needs). */
function tokenizerJson(tokens: string[]): string {
  return JSON.stringify({
    version: '1.0', normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(tokens.map((t, i) => [t, i])) },
  });
}

function writeFolder(dir: string, files: Record<string, string | Uint8Array>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return dir;
}

function discLogits(model: ElectraModel, seed = 5): Float32Array {
  const batch = randomBatch(seed, 3, 12, model.spec.discriminator.vocab_size);
  return tf.tidy(() => model.discriminator.discriminatorLogits(model.discriminator.encode(encoderInputs(batch, batch.inputIds)))).dataSync() as Float32Array;
}

function mlmLogits(network: ElectraModel['discriminator'], vocabSize: number): Float32Array {
  const batch = randomBatch(9, 2, 10, vocabSize);
  return tf.tidy(() => network.generatorLogits(network.encode(encoderInputs(batch, batch.inputIds)), tf.tensor1d([1, 4, 13], 'int32'))).dataSync() as Float32Array;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `${what}: max difference ${worst} > ${tolerance}`);
}

test('export-hf writes HF folders (keys, shapes, F32, tokenizer files) and import-hf of the export gives identical logits', async () => {
  await initBackend('wasm');
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 31);
  const root = tempDir('hf-roundtrip');
  const ckpt = path.join(root, 'step-1');
  await saveModelCheckpoint(ckpt, model, tokenizer(), 'electra');
  const exported = await exportHf(ckpt, path.join(root, 'hf'));
  assert.equal(exported.architecture, 'ElectraForPreTraining');

  const config = JSON.parse(fs.readFileSync(path.join(root, 'hf', 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['ElectraForPreTraining']);
  assert.equal(config.model_type, 'electra');
  assert.equal(config.hidden_size, 64);
  assert.equal(config.electra_lab, undefined);
  const tc = JSON.parse(fs.readFileSync(path.join(root, 'hf', 'tokenizer_config.json'), 'utf8'));
  assert.equal(tc.do_lower_case, true);
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'hf', 'special_tokens_map.json'), 'utf8')).mask_token, '[MASK]');
  assert.equal(fs.readFileSync(path.join(root, 'hf', 'vocab.txt'), 'utf8'), tokenizer().toVocabText());
  const header = await readSafetensorsHeader(path.join(root, 'hf', 'model.safetensors'));
  assert.equal(header.metadata.format, 'pt');
  assert.ok(header.entries.every((e) => e.dtype === 'F32'));
  const shapes = new Map(header.entries.map((e) => [e.name, e.shape]));
  assert.deepEqual(shapes.get('electra.embeddings.word_embeddings.weight'), [300, 32]);
  assert.deepEqual(shapes.get('electra.embeddings_project.weight'), [64, 32]);
  assert.deepEqual(shapes.get('discriminator_predictions.dense_prediction.weight'), [1, 64]);
  assert.ok(![...shapes.keys()].some((k) => k.startsWith('generator')), 'the discriminator folder holds no generator tensors');
  const genConfig = JSON.parse(fs.readFileSync(path.join(root, 'hf', 'generator', 'config.json'), 'utf8'));
  assert.deepEqual(genConfig.architectures, ['ElectraForMaskedLM']);
  const genShapes = new Map((await readSafetensorsHeader(path.join(root, 'hf', 'generator', 'model.safetensors'))).entries.map((e) => [e.name, e.shape]));
  assert.deepEqual(genShapes.get('generator_predictions.dense.weight'), [32, 32]);
  assert.deepEqual(genShapes.get('generator_lm_head.bias'), [300]);
  await assert.rejects(exportHf(ckpt, path.join(root, 'hf')), /already exists/);

  const imported = await importHf(path.join(root, 'hf'), path.join(root, 'back'), path.join(root, 'hf', 'generator'));
  assert.equal(imported.embeddingSharing, 'tied');
  const back = await loadCheckpoint(imported.dir, { needGenerator: true });
  assert.deepEqual(discLogits(back.model), discLogits(model));
  assert.deepEqual(mlmLogits(back.model.generator!, 300), mlmLogits(model.generator!, 300));
  assert.deepEqual(scoreText(back.model, back.tokenizer, TEXT), scoreText(model, tokenizer(), TEXT));
  // The discriminator folder alone imports too: no generator.
  const alone = await importHf(path.join(root, 'hf'), path.join(root, 'alone'));
  assert.equal(alone.generator, false);
  model.dispose();
  back.model.dispose();
});

test('hand-made HF folders: ElectraForPreTraining with and without the electra. prefix, tokenizer.json-only vocab, F16 weights', async () => {
  await initBackend('wasm');
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 32);
  const disc = model.exportTensors().discriminator;
  const expected = discLogits(model);
  const root = tempDir('hf-hand');
  const tokens = vocab(300);

  // As google/electra-small-discriminator: config.json, tokenizer.json (no vocab.txt), tokenizer_config.json.
  const prefixed = writeFolder(path.join(root, 'prefixed'), {
    'config.json': hfConfig(spec.discriminator, 'ElectraForPreTraining'),
    'tokenizer.json': tokenizerJson(tokens),
    'tokenizer_config.json': JSON.stringify({ do_lower_case: true }),
    'model.safetensors': encodeSafetensors(disc, { format: 'pt' }),
  });
  const a = await loadCheckpoint(prefixed);
  assert.deepEqual(a.tokenizer.vocab, tokens);
  assert.deepEqual(discLogits(a.model), expected);

  // The backbone without `electra.` (as some exports write it); heads keep their names.
  const unprefixed = new Map([...disc].map(([k, v]) => [k.replace(/^electra\./, ''), v]));
  const bare = writeFolder(path.join(root, 'unprefixed'), {
    'config.json': hfConfig(spec.discriminator, 'ElectraForPreTraining'), 'vocab.txt': tokens.join('\n') + '\n',
    'model.safetensors': encodeSafetensors(unprefixed, { format: 'pt' }),
  });
  const b = await loadCheckpoint(bare);
  assert.deepEqual(discLogits(b.model), expected);

  // Shapes that contradict config.json are caught from the header, naming the file.
  const wrong = writeFolder(path.join(root, 'wrong'), {
    'config.json': hfConfig({ ...spec.discriminator, hidden_size: 128, intermediate_size: 256 }, 'ElectraForPreTraining'), 'vocab.txt': tokens.join('\n') + '\n',
    'model.safetensors': encodeSafetensors(unprefixed, { format: 'pt' }),
  });
  await assert.rejects(loadCheckpoint(wrong), (e: Error) => e.name === 'UserError' && e.message.includes(path.join(wrong, 'model.safetensors')) && /do not belong together/.test(e.message));

  // A half-precision upload: converted to float32 on reading, logits within F16 rounding.
  const half = writeFolder(path.join(root, 'f16'), {
    'config.json': hfConfig(spec.discriminator, 'ElectraForPreTraining'), 'vocab.txt': tokens.join('\n') + '\n',
    'model.safetensors': encodeF16(disc),
  });
  const h = await loadCheckpoint(half);
  assert.equal((await readSafetensorsHeader(path.join(half, 'model.safetensors'))).entries[0].dtype, 'F16');
  assertClose(discLogits(h.model), expected, 0.02, 'F16 logits');

  // The bare encoder (ElectraModel): readable for fine-tuning, but it cannot score text.
  const encoderOnly = new Map([...unprefixed].filter(([k]) => !k.startsWith('discriminator_predictions')));
  const encoderDir = writeFolder(path.join(root, 'electra-model'), {
    'config.json': hfConfig(spec.discriminator, 'ElectraModel'), 'vocab.txt': tokens.join('\n') + '\n',
    'model.safetensors': encodeSafetensors(encoderOnly, { format: 'pt' }),
  });
  const read = await readElectraFolder(encoderDir);
  assert.equal(read.architecture, 'ElectraModel');
  assert.ok(read.tensors.has('electra.encoder.layer.0.attention.self.query.weight'));
  await assert.rejects(loadCheckpoint(encoderDir), /ElectraModel \(no pretraining head\).*electra-lab finetune/);

  for (const loaded of [a, b, h]) loaded.model.dispose();
  model.dispose();
});

test('a generator-only ElectraForMaskedLM folder (tied lm_head, embeddings_project) loads as an MLM and pairs with its discriminator', async () => {
  await initBackend('wasm');
  const base = tinySpec(300);
  // Width 1.0: hidden 64 ≠ embedding 32, so the generator has embeddings_project, as google/electra-small-generator.
  const spec = { ...base, generator: generatorConfig(base.discriminator, 1, 1) };
  const model = ElectraModel.initialise(spec, 33);
  const { discriminator, generator } = model.exportTensors();
  // transformers drops one of two tied tensors on save; keep lm_head's copy and drop the embeddings to test that path.
  const genFile = new Map<string, NamedTensor>(generator!);
  genFile.set('generator_lm_head.weight', genFile.get('electra.embeddings.word_embeddings.weight')!);
  genFile.delete('electra.embeddings.word_embeddings.weight');
  assert.ok(genFile.has('electra.embeddings_project.weight'));
  const root = tempDir('hf-gen');
  const tokens = vocab(300);
  const genDir = writeFolder(path.join(root, 'generator'), {
    'config.json': hfConfig(spec.generator, 'ElectraForMaskedLM'), 'tokenizer.json': tokenizerJson(tokens),
    'model.safetensors': encodeSafetensors(genFile, { format: 'pt' }),
  });
  const gen = await loadCheckpoint(genDir);
  assert.equal(gen.model.spec.mainHead, 'generator');
  assert.equal(gen.objective, 'mlm');
  assertClose(mlmLogits(gen.model.discriminator, 300), mlmLogits(model.generator!, 300), 0, 'generator logits');
  assert.throws(() => scoreText(gen.model, gen.tokenizer, TEXT), /replaced|discriminator|head/i);

  const discDir = writeFolder(path.join(root, 'discriminator'), {
    'config.json': hfConfig(spec.discriminator, 'ElectraForPreTraining'), 'vocab.txt': tokens.join('\n') + '\n',
    'model.safetensors': encodeSafetensors(discriminator, { format: 'pt' }),
  });
  const paired = await importHf(discDir, path.join(root, 'paired'), genDir);
  assert.equal(paired.generator, true);
  assert.equal(paired.embeddingSharing, 'tied');
  const both = await loadCheckpoint(paired.dir, { needGenerator: true });
  assert.deepEqual(discLogits(both.model), discLogits(model));
  assertClose(mlmLogits(both.model.generator!, 300), mlmLogits(model.generator!, 300), 0, 'paired generator logits');
  await assert.rejects(importHf(genDir, path.join(root, 'swapped'), discDir), /ElectraForPreTraining folder first/);
  await assert.rejects(importHf(discDir, path.join(root, 'not-a-generator'), discDir), /not an ElectraForMaskedLM/);
  for (const m of [gen.model, both.model, model]) m.dispose();
});

test('a pytorch_model.bin-only folder says how to convert it, keeping every key', async () => {
  const dir = writeFolder(path.join(tempDir('hf-bin'), 'electra-small-discriminator'), {
    'config.json': hfConfig(tinySpec().discriminator, 'ElectraForPreTraining'), 'vocab.txt': vocab(300).join('\n') + '\n', 'pytorch_model.bin': 'pickle',
  });
  await assert.rejects(readCheckpointFolder(dir), (e: Error) => {
    assert.equal(e.name, 'UserError');
    assert.ok(!e.message.includes('\n'));
    assert.match(e.message, /pytorch_model\.bin.*safetensors\.torch import save_file.*model\.safetensors/);
    return true;
  });
  await assert.rejects(importHf(dir, path.join(dir, '..', 'out')), /pytorch_model\.bin/);
  assert.ok(!fs.existsSync(path.join(dir, '..', 'out')), 'nothing written');
});

/** float32 → IEEE half (round to nearest even), enough for weights of magnitude ≤ 65504. */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (exp << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

function encodeF16(tensors: ReadonlyMap<string, NamedTensor>): Buffer {
  const names = [...tensors.keys()].sort();
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: 'F16', shape: t.shape, data_offsets: [offset, offset + 2 * t.data.length] };
    offset += 2 * t.data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let pos = 8 + json.length;
  for (const name of names) for (const v of tensors.get(name)!.data) { out.writeUInt16LE(toHalf(v), pos); pos += 2; }
  return out;
}

test('F16 encoding helper round-trips through the reader (sanity for the test above)', async () => {
  const file = path.join(tempDir('f16'), 'x.safetensors');
  fs.writeFileSync(file, encodeF16(new Map([['w', { shape: [4], data: Float32Array.from([0.5, -2, 1e-3, 0.1]) }]])));
  const back = (await readSafetensors(file)).tensors.get('w')!.data;
  assertClose(back, [0.5, -2, 1e-3, 0.1], 1e-4, 'f16');
});

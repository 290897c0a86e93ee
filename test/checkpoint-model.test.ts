import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { loadCheckpoint, saveModelCheckpoint } from '../src/engine/checkpoint/model-io';
import { encodeSafetensors } from '../src/engine/checkpoint/safetensors';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer';
import { scoreText } from '../src/engine/inference/heatmap';
import { tempDir, tinySpec } from './helpers';

function tokenizer(size: number): WordPieceTokenizer {
  const words = ['the', 'model', 'reads', 'text', 'and', 'marks', 'tokens', 'replaced', 'original', '.', ','];
  const vocab = [...SPECIAL_TOKENS, ...words];
  for (let i = vocab.length; i < size; i++) vocab.push(`w${i}`);
  return WordPieceTokenizer.fromVocab(vocab);
}

const TEXT = 'The model reads text, and marks tokens replaced or original.';

test('a checkpoint saved and loaded scores text identically', async () => {
  await initBackend('wasm');
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 21);
  const dir = path.join(tempDir('ckpt'), 'step-1');
  await saveModelCheckpoint(dir, model, tokenizer(300), 'electra');
  const loaded = await loadCheckpoint(dir);
  assert.deepEqual(scoreText(loaded.model, loaded.tokenizer, TEXT), scoreText(model, tokenizer(300), TEXT));
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(config.model_type, 'electra');
  assert.deepEqual(config.architectures, ['ElectraForPreTraining']);
  assert.equal(config.hidden_size, spec.discriminator.hidden_size);
  model.dispose();
  loaded.model.dispose();
});

test('a Hugging Face discriminator folder (config.json + vocab.txt + model.safetensors, no generator) loads and scores', async () => {
  await initBackend('wasm');
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 22);
  const dir = tempDir('hf');
  const disc = model.exportTensors().discriminator;
  // As older HF exports write it: a position_ids buffer alongside the weights (ignored), HF's own config fields only.
  const withBuffer = new Map(disc);
  withBuffer.set('electra.embeddings.position_ids', { shape: [1, 64], data: Float32Array.from({ length: 64 }, (_, i) => i) });
  const tensors = encodeSafetensors(withBuffer, { format: 'pt' });
  fs.writeFileSync(path.join(dir, 'model.safetensors'), tensors);
  const { vocab_size, embedding_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings } = spec.discriminator;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    architectures: ['ElectraForPreTraining'], model_type: 'electra', attention_probs_dropout_prob: 0.1, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    vocab_size, embedding_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings,
    type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0, position_embedding_type: 'absolute', transformers_version: '4.40.0',
  }));
  fs.writeFileSync(path.join(dir, 'vocab.txt'), tokenizer(300).toVocabText());
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  const loaded = await loadCheckpoint(dir);
  assert.equal(loaded.model.generator, undefined);
  const expected = scoreText(model, tokenizer(300), TEXT);
  const actual = scoreText(loaded.model, loaded.tokenizer, TEXT);
  assert.equal(actual.length, expected.length);
  actual.forEach((t, i) => assert.ok(Math.abs(t.logit - expected[i].logit) < 1e-5));
  await assert.rejects(loadCheckpoint(dir, { needGenerator: true }), /no generator/);
  model.dispose();
  loaded.model.dispose();
});

/**
 * `export-job`: a run (its folder, or a run spec) as a self-contained PyTorch job folder.
 *
 *   <jobDir>/job.json            the run's options, the checkpoint config.json, the data index
 *   <jobDir>/vocab.txt           the run's WordPiece vocabulary
 *   <jobDir>/data/shard-N.i32    the train split packed by the engine's own packing: int32 [n, 2, L]
 *   <jobDir>/init/               the checkpoint the job starts from (the run's newest, or fresh weights)
 *   <jobDir>/train.py, electra_lab_torch/, README.md
 *
 * Built in a temp folder beside `jobDir` and renamed into place, so a job folder is complete or absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { discoverCorpus, readTextChunks } from '../data/corpus';
import { corpusExamples } from '../data/examples';
import { splitStream } from '../data/split';
import { trainWordPiece, WordPieceTokenizer } from '../tokenizer';
import { generatorConfig, presetConfig } from '../model/config';
import { ElectraModel, type ElectraModelSpec } from '../model/electra';
import { listCheckpoints } from '../checkpoint/folder';
import { checkpointConfig, saveModelCheckpoint } from '../checkpoint/model-io';
import { OBJECTIVES } from '../pretrain/objectives';
import { dataSeedOf, resolveOptions, type PretrainOptions } from '../pretrain/options';
import { RUN_FILE } from '../pretrain/trainer';
import { readRunRecord } from '../pretrain/run-record';

/** Examples per shard: 4096 × 2 × 128 int32 = 4 MB at the default sequence length. */
const SHARD_EXAMPLES = 4096;

export type JobSource = { runDir: string } | { options: Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus'> };

export interface ExportedJob {
  jobDir: string;
  examples: number;
  shards: number;
  startStep: number;
}

/** The folder holding train.py and electra_lab_torch/: `python/` at the repository or extension root. */
export function pythonSources(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'python');
    if (fs.existsSync(path.join(candidate, 'electra_lab_torch', 'job.py'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`python/electra_lab_torch not found above ${__dirname}`);
  }
}

export async function exportJob(source: JobSource, jobDir: string, onInfo: (m: string) => void = () => {}): Promise<ExportedJob> {
  const target = path.resolve(jobDir);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new UserError(`--out ${target} exists and is not empty — choose a new folder for the job`);
  }
  const { options, tokenizer, checkpoint } = await runInputs(source, target, onInfo);
  if (options.objective !== 'electra' && options.objective !== 'electra-15') {
    throw new UserError(`objective ${options.objective}: the PyTorch job implements ELECTRA's (electra, electra-15) — export an electra run`);
  }
  if (options.embeddingSharing === 'gdes' || options.embeddingSharing === 'all') {
    throw new UserError(`--embedding-sharing ${options.embeddingSharing}: the PyTorch job implements tied and none — export a run with one of those`);
  }
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
  try {
    const corpus = await discoverCorpus(options.corpus);
    if (corpus.files.length === 0) throw new UserError(`the corpus ${options.corpus.join(' ')} has no text files — check the run's corpus paths`);
    onInfo(`packing ${corpus.files.length} files into ${options.seqLength}-token examples`);
    const shards = await writeShards(tmp, corpus.files, tokenizer, options);
    if (shards.examples === 0) throw new UserError('the corpus produced no training examples — add text to the corpus');

    let spec: ElectraModelSpec;
    let startStep = 0;
    const init = path.join(tmp, 'init');
    if (checkpoint) {
      fs.cpSync(checkpoint, init, { recursive: true });
      const config = JSON.parse(fs.readFileSync(path.join(init, 'config.json'), 'utf8'));
      startStep = Number(JSON.parse(fs.readFileSync(path.join(init, 'trainer_state.json'), 'utf8')).step ?? 0);
      spec = { discriminator: pickConfig(config), generator: config.electra_lab.generator, embeddingSharing: config.electra_lab.embedding_sharing };
    } else {
      spec = specFor(options, tokenizer.vocabSize);
      const model = ElectraModel.initialise(spec, options.seed);
      await saveModelCheckpoint(init, model, tokenizer, options.objective);
      model.dispose();
    }
    const job = {
      format: 1,
      run: options,
      checkpoint_config: checkpointConfig(spec, { do_lower_case: options.lowercase, strip_accents: options.lowercase }, options.objective),
      vocab: 'vocab.txt',
      init: 'init',
      data: {
        seq_length: options.seqLength, pad_id: tokenizer.specialIds.pad, mask_id: tokenizer.specialIds.mask,
        unk_id: tokenizer.specialIds.unk, special_ids: [...new Set(Object.values(tokenizer.specialIds))].sort((a, b) => a - b),
        examples: shards.examples, shards: shards.files,
      },
    };
    fs.writeFileSync(path.join(tmp, 'job.json'), `${JSON.stringify(job, null, 2)}\n`);
    fs.writeFileSync(path.join(tmp, 'vocab.txt'), tokenizer.toVocabText());
    const py = pythonSources();
    fs.copyFileSync(path.join(py, 'train.py'), path.join(tmp, 'train.py'));
    fs.copyFileSync(path.join(py, 'JOB-README.md'), path.join(tmp, 'README.md'));
    fs.mkdirSync(path.join(tmp, 'electra_lab_torch'));
    for (const f of fs.readdirSync(path.join(py, 'electra_lab_torch')).filter((n) => n.endsWith('.py'))) {
      fs.copyFileSync(path.join(py, 'electra_lab_torch', f), path.join(tmp, 'electra_lab_torch', f));
    }
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(tmp, target);
    return { jobDir: target, examples: shards.examples, shards: shards.files.length, startStep };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function pickConfig(config: Record<string, any>): ElectraModelSpec['discriminator'] {
  const keys = ['vocab_size', 'embedding_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size',
    'hidden_act', 'hidden_dropout_prob', 'attention_probs_dropout_prob', 'max_position_embeddings', 'type_vocab_size',
    'initializer_range', 'layer_norm_eps'];
  return Object.fromEntries(keys.filter((k) => k in config).map((k) => [k, config[k]])) as ElectraModelSpec['discriminator'];
}

/** The trainer's model spec for a run's options (trainer.ts). */
function specFor(options: PretrainOptions, vocabSize: number): ElectraModelSpec {
  const disc = presetConfig(options.preset, vocabSize);
  disc.max_position_embeddings = Math.max(disc.max_position_embeddings, options.seqLength);
  const objective = OBJECTIVES[options.objective];
  return {
    discriminator: disc, mainHead: objective.mainHead, embeddingSharing: options.embeddingSharing,
    generator: generatorConfig(disc, options.genWidth, options.genDepth),
  };
}

async function runInputs(source: JobSource, jobDir: string, onInfo: (m: string) => void) {
  if ('runDir' in source) {
    const runDir = path.resolve(source.runDir);
    const runFile = path.join(runDir, RUN_FILE);
    if (!fs.existsSync(runFile)) throw new UserError(`${runFile} does not exist — pass a pretraining run folder, or --corpus with run options`);
    const { options: recorded } = await readRunRecord(runDir, 'pass a pretraining run folder');
    const options = resolveOptions({ ...recorded, documents: recorded.documents ?? 'blank-lines' });
    const tokenizer = WordPieceTokenizer.fromVocabFile(path.join(runDir, 'vocab.txt'), { lowercase: options.lowercase, stripAccents: options.lowercase });
    const latest = (await listCheckpoints(path.join(runDir, 'checkpoints'))).pop();
    if (latest) onInfo(`the job starts from ${latest.dir}`);
    return { options, tokenizer, checkpoint: latest?.dir };
  }
  const options = resolveOptions({ ...source.options, corpus: source.options.corpus.map((c) => path.resolve(c)), out: path.join(jobDir, 'run') });
  const corpus = await discoverCorpus(options.corpus);
  onInfo(`training a ${options.vocabSize}-token WordPiece vocabulary`);
  const tokenizer = await trainWordPiece(readTextChunks(corpus.files, options.tokenizerChars), {
    vocabSize: options.vocabSize, lowercase: options.lowercase, stripAccents: options.lowercase,
  });
  return { options, tokenizer, checkpoint: undefined as string | undefined };
}

/** The train split, in the packing's order (the job shuffles per epoch), as int32 [n, 2, L] shards. */
async function writeShards(dir: string, files: Parameters<typeof corpusExamples>[0], tokenizer: WordPieceTokenizer, options: PretrainOptions) {
  const L = options.seqLength;
  const make = corpusExamples(files, tokenizer, { maxSeqLength: L, seed: dataSeedOf(options), documents: options.documents });
  const out: { file: string; examples: number }[] = [];
  let buffer = new Int32Array(SHARD_EXAMPLES * 2 * L);
  let n = 0, examples = 0;
  const flush = () => {
    if (n === 0) return;
    const file = `data/shard-${String(out.length).padStart(5, '0')}.i32`;
    const bytes = new Uint8Array(buffer.buffer, 0, n * 2 * L * 4);
    fs.writeFileSync(path.join(dir, file), bytes);
    out.push({ file, examples: n });
    buffer = new Int32Array(SHARD_EXAMPLES * 2 * L);
    n = 0;
  };
  for await (const ex of splitStream(make(), 'train', options.heldOutFraction)) {
    const base = n * 2 * L;
    buffer.fill(tokenizer.specialIds.pad, base, base + L);
    for (let i = 0; i < ex.length; i++) {
      buffer[base + i] = ex.inputIds[i];
      buffer[base + L + i] = ex.tokenTypeIds[i];
    }
    n++;
    examples++;
    if (n === SHARD_EXAMPLES) flush();
  }
  flush();
  return { examples, files: out };
}

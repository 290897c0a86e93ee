/**
 * The checkpoint folder layout (generic: no model knowledge here).
 *
 *   <run>/checkpoints/step-<N>/
 *     config.json              model config (pretty JSON) — Hugging Face compatible when the caller makes it so
 *     vocab.txt                WordPiece vocabulary, one token a line
 *     model.safetensors        the model (the discriminator, for ELECTRA) — loadable by transformers
 *     generator.safetensors    optional
 *     trainer_state.json       optional: step, schedule, RNG state, ...
 *     optimizer.safetensors    optional: optimizer moments
 *
 * A checkpoint is written as one folder atomically (see atomic.ts): `step-N` either is complete or does not exist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonErrorWhere, UserError } from '../errors';
import { removeFolderAtomic, writeFolderAtomic } from './atomic';
import { encodeSafetensors, type NamedTensor } from './safetensors';
import { vocabFromTokenizerJson } from './hf-tokenizer';

const fsp = fs.promises;

export const CONFIG_FILE = 'config.json';
export const VOCAB_FILE = 'vocab.txt';
export const MODEL_FILE = 'model.safetensors';
export const GENERATOR_FILE = 'generator.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TOKENIZER_JSON_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** transformers refuses safetensors whose metadata lacks a known "format"; "pt" is what PyTorch saves write. */
const SAFETENSORS_METADATA = { format: 'pt' } as const;

export interface CheckpointFiles {
  config: Record<string, unknown>;
  vocabText: string;
  model: ReadonlyMap<string, NamedTensor>;
  generator?: ReadonlyMap<string, NamedTensor>;
  trainerState?: Record<string, unknown>;
  optimizer?: ReadonlyMap<string, NamedTensor>;
}

export interface CheckpointFolder {
  dir: string;
  config: Record<string, unknown>;
  vocabText: string;
  modelPath: string;
  generatorPath?: string;
  trainerState?: Record<string, unknown>;
  optimizerPath?: string;
  /** Case and accent rules when config.json does not say: tokenizer_config.json's, else tokenizer.json's normalizer. */
  tokenizerHints: { do_lower_case?: boolean; strip_accents?: boolean | null };
  /** True when there was no vocab.txt and the vocabulary came from tokenizer.json. */
  vocabFromTokenizerJson?: boolean;
}

/** Write a checkpoint folder atomically, replacing `dir` if it exists. */
export async function saveCheckpoint(dir: string, files: CheckpointFiles): Promise<void> {
  const out = new Map<string, string | Uint8Array>();
  out.set(CONFIG_FILE, `${JSON.stringify(files.config, null, 2)}\n`);
  out.set(VOCAB_FILE, files.vocabText);
  out.set(MODEL_FILE, encodeSafetensors(files.model, SAFETENSORS_METADATA));
  if (files.generator) out.set(GENERATOR_FILE, encodeSafetensors(files.generator, SAFETENSORS_METADATA));
  if (files.trainerState) out.set(TRAINER_STATE_FILE, `${JSON.stringify(files.trainerState, null, 2)}\n`);
  if (files.optimizer) out.set(OPTIMIZER_FILE, encodeSafetensors(files.optimizer, SAFETENSORS_METADATA));
  await writeFolderAtomic(dir, out);
}

const STEP_RE = /^step-(\d+)$/;

/** The folder name for a step: `step-<N>`. */
export function checkpointDirName(step: number): string {
  return `step-${step}`;
}

/**
 * Complete `step-N` checkpoint folders in `runCheckpointsDir`, oldest first. Temp/aside folders (`step-N.tmp-*`,
 * `.old-*`, `.del-*`) and folders without config.json + model.safetensors are ignored; a missing dir gives [].
 */
export async function listCheckpoints(runCheckpointsDir: string): Promise<{ step: number; dir: string }[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(runCheckpointsDir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
  const found: { step: number; dir: string }[] = [];
  for (const entry of entries) {
    const m = STEP_RE.exec(entry.name);
    if (!m || !entry.isDirectory()) continue;
    const step = Number(m[1]);
    if (!Number.isSafeInteger(step)) continue;
    const dir = path.join(runCheckpointsDir, entry.name);
    if ((await isFile(path.join(dir, CONFIG_FILE))) && (await isFile(path.join(dir, MODEL_FILE)))) {
      found.push({ step, dir });
    }
  }
  return found.sort((a, b) => a.step - b.step);
}

/** A checkpoint's subfolder of fine-tuning work: `<task>.json` results and, by default, `<task>/` models. */
export const FINETUNE_DIR = 'finetune';

/**
 * Delete all but the newest `keep` checkpoints (each deletion is rename-then-remove, so never half-visible). A
 * checkpoint that was fine-tuned is kept whatever its age: its `finetune/` folder holds the user's results and models.
 */
export async function pruneCheckpoints(runCheckpointsDir: string, keep: number): Promise<void> {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new Error(`pruneCheckpoints: keep must be a whole number >= 1, got ${keep}`);
  }
  const all = await listCheckpoints(runCheckpointsDir);
  for (const { dir } of all.slice(0, Math.max(0, all.length - keep))) {
    if (fs.existsSync(path.join(dir, FINETUNE_DIR))) continue;
    await removeFolderAtomic(dir);
  }
}

/**
 * Locate and read the small parts of a checkpoint folder (ours or a Hugging Face one). Tensor files are returned as
 * paths, to be read with readSafetensors. Every problem is a one-line UserError.
 */
export async function readCheckpointFolder(dir: string): Promise<CheckpointFolder> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${dir}: checkpoint folder not found — check the path`);
    }
    throw new UserError(`${dir}: cannot open the checkpoint folder (${oneLine((e as Error).message)}) — check the path and permissions`);
  }
  if (!st.isDirectory()) {
    throw new UserError(
      `${dir}: is a file, not a checkpoint folder — pass the folder that contains config.json, vocab.txt and model.safetensors`,
    );
  }

  const configPath = path.join(dir, CONFIG_FILE);
  if (!(await isFile(configPath))) {
    const steps = await listCheckpoints(dir);
    if (steps.length > 0) {
      const latest = steps[steps.length - 1].dir;
      throw new UserError(
        `${dir}: not a checkpoint folder (no config.json), but it holds ${steps.length} step checkpoint${steps.length === 1 ? '' : 's'} — pass one of them, e.g. ${latest}`,
      );
    }
    throw new UserError(
      `${dir}: not a checkpoint folder (no config.json) — pass a folder saved by ELECTRA Lab or by transformers' save_pretrained`,
    );
  }
  const config = await readJsonObject(configPath);

  const modelPath = path.join(dir, MODEL_FILE);
  if (!(await isFile(modelPath))) {
    const absDir = pythonPath(dir);
    if (await isFile(path.join(dir, 'model.safetensors.index.json'))) {
      throw new UserError(
        `${modelPath}: not found (the checkpoint is sharded, which is not supported) — re-save it as one file: python -c "import transformers as t; d = '${absDir}'; getattr(t, t.AutoConfig.from_pretrained(d).architectures[0]).from_pretrained(d).save_pretrained(d, safe_serialization=True, max_shard_size='100GB')"`,
      );
    }
    if (await isFile(path.join(dir, 'pytorch_model.bin'))) {
      throw new UserError(
        `${modelPath}: not found, only pytorch_model.bin (PyTorch pickle, not supported) — convert it with every key kept: python -c "import torch; from safetensors.torch import save_file; sd = torch.load('${absDir}/pytorch_model.bin', map_location='cpu'); save_file({k: v.contiguous().clone() for k, v in sd.items()}, '${absDir}/model.safetensors', metadata={'format': 'pt'})"`,
      );
    }
    if (await isFile(path.join(dir, 'tf_model.h5'))) {
      throw new UserError(
        `${modelPath}: not found, only tf_model.h5 (not supported) — convert it: python -c "import transformers as t; d = '${absDir}'; getattr(t, t.AutoConfig.from_pretrained(d).architectures[0]).from_pretrained(d, from_tf=True).save_pretrained(d, safe_serialization=True)"`,
      );
    }
    throw new UserError(`${modelPath}: not found — the checkpoint is incomplete; re-save or re-download it`);
  }

  const vocabPath = path.join(dir, VOCAB_FILE);
  const tokenizerJsonPath = path.join(dir, TOKENIZER_JSON_FILE);
  const tokenizerHints: CheckpointFolder['tokenizerHints'] = {};
  let vocabInTokenizerJson = false;
  let vocabText: string;
  if (await isFile(vocabPath)) vocabText = await fsp.readFile(vocabPath, 'utf8');
  else if (await isFile(tokenizerJsonPath)) {
    // Hub folders saved with only the fast tokenizer carry the WordPiece vocabulary inside tokenizer.json.
    const fromJson = vocabFromTokenizerJson(await fsp.readFile(tokenizerJsonPath, 'utf8'), tokenizerJsonPath);
    vocabText = fromJson.vocab.join('\n') + '\n';
    vocabInTokenizerJson = true;
    if (fromJson.lowercase !== undefined) tokenizerHints.do_lower_case = fromJson.lowercase;
    if (fromJson.stripAccents !== undefined) tokenizerHints.strip_accents = fromJson.stripAccents;
  } else {
    throw new UserError(`${vocabPath}: not found (nor tokenizer.json) — add the WordPiece vocab.txt the model was trained with`);
  }
  const tokenizerConfigPath = path.join(dir, TOKENIZER_CONFIG_FILE);
  if (await isFile(tokenizerConfigPath)) {
    const tc = await readJsonObject(tokenizerConfigPath);
    if (typeof tc.do_lower_case === 'boolean') tokenizerHints.do_lower_case = tc.do_lower_case;
    if (typeof tc.strip_accents === 'boolean' || tc.strip_accents === null) tokenizerHints.strip_accents = tc.strip_accents;
  }

  const result: CheckpointFolder = { dir, config, vocabText, modelPath, tokenizerHints };
  if (vocabInTokenizerJson) result.vocabFromTokenizerJson = true;
  const generatorPath = path.join(dir, GENERATOR_FILE);
  if (await isFile(generatorPath)) result.generatorPath = generatorPath;
  const trainerStatePath = path.join(dir, TRAINER_STATE_FILE);
  if (await isFile(trainerStatePath)) result.trainerState = await readJsonObject(trainerStatePath);
  const optimizerPath = path.join(dir, OPTIMIZER_FILE);
  if (await isFile(optimizerPath)) result.optimizerPath = optimizerPath;
  return result;
}

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  const text = await fsp.readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new UserError(
      `${file}: not valid JSON (${jsonErrorWhere(e)}) — fix the file or re-save the checkpoint`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`${file}: must hold a JSON object — fix the file or re-save the checkpoint`);
  }
  return parsed as Record<string, unknown>;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** An absolute path usable inside a single-quoted Python string (forward slashes work on Windows too). */
function pythonPath(dir: string): string {
  return path.resolve(dir).split(path.sep).join('/').replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

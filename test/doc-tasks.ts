import * as fs from 'node:fs';
import * as path from 'node:path';
import fg from 'fast-glob';
import { Rng, fnv1a32 } from '../src/engine/data/rng';
import { ROOT } from './helpers';

/**
 * A binary task from real English: a sentence of the installed packages' Markdown docs as written (label 1) or
 * with its words shuffled (label 0). Telling them apart takes knowing word order, which pretraining on
 * similar text teaches and a randomly initialised encoder must learn from the labelled examples alone.
 * Sentences come from packages whose names start with n–z; `PRETRAIN_CORPUS` is the other packages' docs,
 * so pretraining never sees a task sentence.
 */
export const TASK_SOURCES = 'node_modules/[n-z]*/**/*.md';
export const PRETRAIN_CORPUS = ['node_modules/[a-m]*/**/*.md', 'node_modules/@*/**/*.md'].map((g) => path.join(ROOT, g));

export function proseSentences(): string[] {
  const files = fg.sync(TASK_SOURCES, { cwd: ROOT, followSymbolicLinks: true, unique: true }).sort();
  const seen = new Set<string>();
  const out: string[] = [];
  const take = (paragraph: string) => {
    const text = paragraph.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, '');
    for (const s of text.split(/(?<=[.!?])\s+/)) {
      const words = s.trim().split(/\s+/);
      if (words.length < 6 || words.length > 30) continue;
      if (words.filter((w) => /^[A-Za-z][a-z]*[,.;:]?$/.test(w)).length < 0.8 * words.length) continue;
      const key = words.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(key);
    }
  };
  for (const file of files) {
    let inCode = false;
    let paragraph: string[] = [];
    // Markdown wraps paragraphs over lines: join them before cutting sentences.
    for (const raw of fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
      if (raw.trimStart().startsWith('```')) inCode = !inCode;
      if (inCode || raw.trim() === '' || /^\s*([#|>*\-<]|\d+\.|    )/.test(raw)) {
        if (paragraph.length) take(paragraph.join(' '));
        paragraph = [];
        continue;
      }
      paragraph.push(raw.trim());
    }
    if (paragraph.length) take(paragraph.join(' '));
  }
  return out;
}

/** Writes train.tsv and dev.tsv (GLUE layout: `sentence\tlabel`); a sentence and its shuffle stay in one split. */
export function writeWordOrderTask(dir: string, devSize: number, trainSize: number, mode: 'shuffle' | 'replace' = 'shuffle'): { train: string; dev: string; sentences: number } {
  const sentences = proseSentences();
  const pool = sentences.flatMap((s) => s.split(' '));
  const rng = new Rng(7);
  const rows = { train: [] as string[], dev: [] as string[] };
  for (const s of sentences) {
    const split = fnv1a32(s) % 5 === 0 ? 'dev' : 'train';
    if (rows[split].length >= 2 * (split === 'dev' ? devSize : trainSize)) continue; // sizes count sentences
    const words = s.split(' ');
    let shuffled = words;
    for (let tries = 0; tries < 5 && shuffled.join(' ') === s; tries++) {
      const r = rng.fork(s + tries);
      shuffled = mode === 'shuffle' ? r.shuffle(words.slice()) : words.map((w) => (r.nextFloat() < 0.3 ? pool[r.nextInt(pool.length)] : w));
    }
    if (shuffled.join(' ') === s) continue;
    // Both forms, so the classes have the same words and length: only the order tells them apart.
    rows[split].push(`${s}\t1`, `${shuffled.join(' ')}\t0`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, lines: string[], n: number) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, ['sentence\tlabel', ...rng.fork(name).shuffle(lines.slice(0, 2 * n))].join('\n') + '\n');
    return file;
  };
  return { train: write('train.tsv', rows.train, trainSize), dev: write('dev.tsv', rows.dev, devSize), sentences: sentences.length };
}

/**
 * Which group of packages a sentence of their docs comes from: n–r (label 1) or s–z (label 0). Real sentences,
 * every one distinct; a fixed hash puts a quarter of them in dev. Pretraining on `PRETRAIN_CORPUS` never sees them.
 */
export function writePackageTopicTask(dir: string): { train: string; dev: string; majority: number } {
  const files = fg.sync(TASK_SOURCES, { cwd: ROOT, followSymbolicLinks: true, unique: true }).sort();
  const rows = { train: [] as string[], dev: [] as string[] };
  const seen = new Set<string>();
  for (const file of files) {
    const label = /^[n-r]/.test(file.split('/')[1]) ? 1 : 0;
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, ' ');
    for (const piece of text.split(/(?<=[.!?])\s+|\n\n/)) {
      const sentence = piece.replace(/\s+/g, ' ').trim();
      const words = sentence.split(' ');
      if (words.length < 6 || words.length > 30 || seen.has(sentence) || /[\t|#<>]/.test(sentence)) continue;
      seen.add(sentence);
      (fnv1a32(sentence) % 4 === 0 ? rows.dev : rows.train).push(`${sentence}\t${label}`);
    }
  }
  const rng = new Rng(3);
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: 'train' | 'dev') => {
    const file = path.join(dir, `${name}.tsv`);
    fs.writeFileSync(file, ['sentence\tlabel', ...rng.shuffle(rows[name])].join('\n') + '\n');
    return file;
  };
  const ones = rows.dev.filter((r) => r.endsWith('\t1')).length;
  return { train: write('train'), dev: write('dev'), majority: Math.max(ones, rows.dev.length - ones) / rows.dev.length };
}

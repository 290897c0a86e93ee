import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The workspace the integration suite opens: documents (short, long, 10,000 lines), a checkpoint pretrained by the CLI on real text
 * (the installed packages' READMEs), the CLI's `heatmap --json` of the document to compare against, and a small
 * fine-tuning task, and a run trained by the exported PyTorch job under torchrun (2 processes; python3-torch from apt,
 * which native/install-build-deps.sh installs).
 */
export function prepareWorkspace(root: string, dir: string): void {
  const cli = path.join(root, 'dist', 'cli.js');
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus, { recursive: true });
  for (const pkg of ['typescript', 'esbuild', 'fast-glob', 'tsx']) {
    const readme = path.join(root, 'node_modules', pkg, 'README.md');
    if (fs.existsSync(readme)) fs.copyFileSync(readme, path.join(corpus, `${pkg}.md`));
  }
  const run = path.join(dir, '.electra', 'runs', 'e2e');
  execFileSync(process.execPath, [cli, 'pretrain', '--corpus', corpus, '--out', run, '--preset', 'tiny', '--steps', '40', '--batch', '8',
    '--seq', '64', '--vocab-size', '1500', '--save-every', '40', '--log-every', '20'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const checkpoint = path.join(run, 'checkpoints', 'step-40');
  trainExportedJob(cli, corpus, dir);
  const doc = path.join(dir, 'doc.md');
  fs.writeFileSync(doc, [
    '# Replaced token detection',
    '',
    'ELECTRA trains a discriminator to tell, for every token, whether it is the original or a replacement',
    'sampled from a small generator. Only the discriminator is kept and fine-tuned afterwards.',
    '',
    'The heatmap paints each token by the probability that it was replaced.',
    '',
  ].join('\n'));
  // A longer document (edits re-score only their windows) and a 10,000-line one (scored around what is visible).
  const prose = fs.readdirSync(corpus).map((f) => fs.readFileSync(path.join(corpus, f), 'utf8')).join('\n\n');
  fs.writeFileSync(path.join(dir, 'long.md'), prose);
  const lines: string[] = [];
  while (lines.length < 10_000) lines.push(...prose.split('\n'));
  fs.writeFileSync(path.join(dir, 'big.md'), lines.slice(0, 10_000).join('\n'));
  const expected = execFileSync(process.execPath, [cli, 'heatmap', '--checkpoint', checkpoint, doc, '--json'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'expected-heatmap.json'), expected);
  writeReadmeSourceTask(root, path.join(dir, 'readme-source'));
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify({
    'electraLab.heatmap.checkpoint': checkpoint,
    'electraLab.heatmap.debounceMs': 100,
  }, null, 2));
}

/** `export-job` of a tiny run spec, trained 4 steps by torchrun into the workspace's runs folder as `torch-job`. */
function trainExportedJob(cli: string, corpus: string, dir: string): void {
  const job = path.join(dir, '..', 'torch-job-export');
  execFileSync(process.execPath, [cli, 'export-job', '--corpus', corpus, '--preset', 'tiny', '--steps', '4', '--batch', '4', '--seq', '32',
    '--vocab-size', '300', '--log-every', '1', '--save-every', '2', '--out', job], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    // --redirects/--tee: Debian's torch 1.13 torchrun on Python 3.11 fails on the default "0" (docs/distributed.md).
    execFileSync('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '2', '--tee', '2', 'train.py',
      '--out', path.join(dir, '.electra', 'runs', 'torch-job')], { cwd: job, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'torchrun not found: install python3-torch (bash native/install-build-deps.sh as root)' : String(e));
  }
}

/**
 * A fine-tuning task of real text, small enough to train in seconds: which package's README a sentence comes from
 * (fast-glob's or uPlot's; labels are the names). Every fourth sentence is dev. Also a TSV without a label column.
 */
function writeReadmeSourceTask(root: string, dir: string): void {
  const rows = { train: [] as string[], dev: [] as string[] };
  for (const pkg of ['fast-glob', 'uplot']) {
    const text = fs.readFileSync(path.join(root, 'node_modules', pkg, 'README.md'), 'utf8').replace(/```[\s\S]*?```/g, ' ');
    // Prose only: links keep their words, list bullets go.
    const sentences = text.split(/(?<=[.!?])\s+|\n\n/).map((s) => s.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\s+/g, ' ').replace(/^[-*] /, '').trim())
      .filter((s) => s.split(' ').length >= 6 && s.split(' ').length <= 30 && !/[\t|#<>]/.test(s)).slice(0, 24);
    sentences.forEach((s, i) => (i % 4 === 3 ? rows.dev : rows.train).push(`${s}\t${pkg}`));
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.tsv'), ['sentence\tlabel', ...rows.train].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'dev.tsv'), ['sentence\tlabel', ...rows.dev].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'no-label.tsv'), ['sentence\tsource', ...rows.dev].join('\n') + '\n');
}

/**
 * What the heatmap benchmarks share: dist/server.js started as a language server over stdio and driven as
 * the editor drives it (LSP text sync, electra/heatmapScores), and checkpoints made by the CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { engineInfo, heatmapScores, type CharRange, type HeatmapResult } from '../src/protocol';

export const ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const SERVER = path.join(ROOT, 'dist', 'server.js');
export const READMES = ['typescript', 'esbuild', '@tensorflow/tfjs-core', 'fast-glob', 'tsx'].map((p) => path.join(ROOT, 'node_modules', p, 'README.md')).filter((f) => fs.existsSync(f));

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The installed packages' READMEs as a corpus in `tmp`/corpus (real English prose). */
export function writeCorpus(tmp: string): string {
  const corpus = path.join(tmp, 'corpus');
  fs.mkdirSync(corpus, { recursive: true });
  READMES.forEach((f, i) => fs.copyFileSync(f, path.join(corpus, `${i}.md`)));
  return corpus;
}

/** A one-step checkpoint of `preset` (latency does not depend on the weights' values). */
export function makeCheckpoint(tmp: string, preset: string): string {
  const corpus = writeCorpus(tmp);
  const out = path.join(tmp, preset);
  const vocab = preset === 'tiny' ? '4000' : '30522';
  const r = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', corpus, '--out', out, '--preset', preset, '--steps', '1', '--batch', '2',
    '--seq', '64', '--vocab-size', vocab, '--save-every', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pretrain ${preset} failed: ${r.stderr}`);
  return path.join(out, 'checkpoints', 'step-1');
}

export class Engine {
  private readonly child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  readonly connection: MessageConnection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
  private readonly versions = new Map<string, number>();

  async start(): Promise<string> {
    this.connection.listen();
    await this.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {
      backend: 'auto', allowedRoots: { roots: [os.tmpdir(), ROOT], trusted: true },
    } });
    await this.connection.sendNotification('initialized', {});
    return (await this.connection.sendRequest(engineInfo)).backend;
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'markdown', version: 1, text } });
  }

  /** Inserts text at a character offset (a one-line edit), as VS Code sends an incremental change. */
  async insert(uri: string, text: string, offset: number, insert: string): Promise<void> {
    const before = text.slice(0, offset);
    const line = before.split('\n').length - 1;
    const character = offset - (before.lastIndexOf('\n') + 1);
    const version = this.versions.get(uri)! + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version }, contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: insert }],
    });
  }

  /** Round-trip milliseconds and the answer. */
  async score(uri: string, checkpoint: string, range?: CharRange, provisional?: boolean, scoreAhead?: boolean): Promise<{ ms: number; result: HeatmapResult }> {
    const started = performance.now();
    const result = await this.connection.sendRequest(heatmapScores, { uri, version: this.versions.get(uri)!, checkpoint, range, provisional, scoreAhead });
    return { ms: performance.now() - started, result };
  }

  async stop(): Promise<void> {
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    this.connection.dispose();
  }
}


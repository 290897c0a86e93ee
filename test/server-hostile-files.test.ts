/**
 * Hostile files through the language server (issue 10): the same fixtures the CLI suite refuses — a 3 GiB tensor,
 * a 10 MB safetensors header, a config with a million layers, NaN weights (and Inf in the generator), a corpus folder linking to itself, a
 * FIFO and a device in a corpus — sent by the editor's requests. Each gets one line, the engine's peak memory
 * (VmHWM) stays under 1 GB, and the same process then paints a heatmap with a good checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { corruptSample, engineInfo, evaluateCheckpoint, heatmapScores } from '../src/protocol';
import { encodeSafetensors, readSafetensors } from '../src/engine/checkpoint/safetensors';
import { ROOT, cliCheckpoint, tempDir, emptyTensorsHeader, writeSafetensorsHeader } from './helpers';

const SERVER = path.join(ROOT, 'dist', 'server.js');

function peakMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024);
}

test('hostile files sent by the editor: one line each, the engine stays under 1 GB and answers after', { skip: process.platform !== 'linux' }, async () => {
  const ws = tempDir('server-hostile-files');
  const good = path.join(ws, 'good');
  fs.cpSync(cliCheckpoint('server-hostile-files', 4).checkpoint, good, { recursive: true });
  const variant = (name: string, edit: (dir: string) => void | Promise<void>) => async () => {
    const dir = path.join(ws, name);
    fs.cpSync(good, dir, { recursive: true });
    await edit(dir);
    return dir;
  };
  const bytes = 3 * 1024 ** 3;
  const checkpoints: [string, () => Promise<string>, RegExp][] = [
    ['a 3 GiB tensor', variant('huge-tensor', (d) => writeSafetensorsHeader(path.join(d, 'model.safetensors'),
      JSON.stringify({ 'extra.weight': { dtype: 'F32', shape: [bytes / 4], data_offsets: [0, bytes] } }), bytes)), /extra\.weight/],
    ['a 10 MB header', variant('big-header', (d) => writeSafetensorsHeader(path.join(d, 'model.safetensors'), emptyTensorsHeader(10 * 1024 * 1024))),
      /8 MB limit/],
    ['num_hidden_layers 1e6', variant('absurd-config', (d) => {
      const file = path.join(d, 'config.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), num_hidden_layers: 1e6 }));
    }), /num_hidden_layers/],
    ['a NaN weight', variant('nan', async (d) => {
      const file = path.join(d, 'model.safetensors');
      const { tensors, metadata } = await readSafetensors(file);
      tensors.get([...tensors.keys()].find((k) => k.includes('LayerNorm.weight'))!)!.data[0] = NaN;
      fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
    }), /NaN/],
  ];
  const loop = path.join(ws, 'corpus-loop');
  fs.mkdirSync(path.join(loop, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(loop, 'bin', 'a.txt'), 'the quick brown fox jumps over the lazy dog\n'.repeat(20));
  fs.symlinkSync('.', path.join(loop, 'bin', 'X11'));
  fs.symlinkSync('..', path.join(loop, 'bin', 'up'));
  const odd = path.join(ws, 'corpus-odd');
  fs.mkdirSync(odd);
  execFileSync('mkfifo', [path.join(odd, 'pipe.txt')]);
  fs.symlinkSync('/dev/zero', path.join(odd, 'zero.txt'));

  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  try {
    await connection.sendRequest('initialize', {
      processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { backend: 'cpu', allowedRoots: { roots: [ws], trusted: true } },
    });
    await connection.sendNotification('initialized', {});
    const { pid } = await connection.sendRequest(engineInfo);
    const uri = 'file:///note.md';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'markdown', version: 1, text: 'A short note about foxes and dogs.' } });
    const report: string[] = [];
    const oneLine = async (what: string, request: Promise<unknown>, re: RegExp) => {
      const t = performance.now();
      const e = await request.then(() => assert.fail(`${what}: expected a refusal`), (err: unknown) => err);
      assert.ok(e instanceof ResponseError, `${what}: ${String(e)}`);
      assert.ok(!e.message.includes('\n') && !/internal error/.test(e.message), `${what}: ${e.message}`);
      assert.match(e.message, re, what);
      report.push(`  ${what.padEnd(40)} ${String(Math.round(performance.now() - t)).padStart(6)} ms  peak ${peakMb(pid)} MB`);
    };
    for (const [what, make, re] of checkpoints) {
      const checkpoint = await make();
      await oneLine(`heatmap: ${what}`, connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint }), re);
      await oneLine(`evaluate: ${what}`, connection.sendRequest(evaluateCheckpoint, { checkpoint, corpus: [path.join(loop, '**', '*.txt')] }), re);
    }
    const nanGenerator = await variant('nan-generator', async (d) => {
      const file = path.join(d, 'generator.safetensors');
      const { tensors, metadata } = await readSafetensors(file);
      tensors.get([...tensors.keys()].find((k) => k.includes('LayerNorm.weight'))!)!.data[0] = Infinity;
      fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
    })();
    await oneLine('corrupt: an Inf generator weight', connection.sendRequest(corruptSample, { uri, version: 1, checkpoint: nanGenerator, seed: 1 }), /generator.*Inf|Inf.*generator/);
    await oneLine('evaluate: an Inf generator weight', connection.sendRequest(evaluateCheckpoint, { checkpoint: nanGenerator, corpus: [loop] }), /generator.*Inf|Inf.*generator/);
    // A corpus folder that links to itself is walked once; a FIFO and a device in it are skipped, never read.
    const t = performance.now();
    const looped = await connection.sendRequest(evaluateCheckpoint, { checkpoint: good, corpus: [loop], split: 'all' });
    assert.ok(looped.tokens > 0 && looped.tokens < 2_000, `${looped.tokens} tokens: the folder read once`);
    report.push(`  ${'evaluate: corpus linking to itself'.padEnd(40)} ${String(Math.round(performance.now() - t)).padStart(6)} ms  peak ${peakMb(pid)} MB`);
    await oneLine('evaluate: corpus of a FIFO and /dev/zero', connection.sendRequest(evaluateCheckpoint, { checkpoint: good, corpus: [path.join(odd, '*.txt')], split: 'all' }), /corpus|no text|not a regular file/i);

    const scores = await connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint: good });
    assert.ok(scores.tokens.length > 0, 'the same engine paints a heatmap after');
    assert.equal((await connection.sendRequest(engineInfo)).pid, pid);
    const peak = peakMb(pid);
    console.log(`engine peak memory (VmHWM) through the hostile files:\n${report.join('\n')}`);
    assert.ok(peak < 1024, `engine peak memory ${peak} MB`);
  } finally {
    child.kill();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { corruptSample, engineInfo, heatmapScores } from '../src/protocol';
import { CLI, ROOT, tempDir } from './helpers';

const SERVER = path.join(ROOT, 'dist', 'server.js');

/** The engine process as the extension starts it: dist/server.js over stdio. */
function startEngine() {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  return { child, connection };
}

test('the engine language server scores an open document exactly as the CLI heatmap does, caches by version, rejects stale requests', async () => {
  const corpus = tempDir('srv-corpus');
  for (const p of ['typescript', 'esbuild', 'fast-glob']) fs.copyFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), path.join(corpus, `${p}.md`));
  const run = path.join(tempDir('srv-run'), 'run');
  const trained = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', corpus, '--out', run, '--preset', 'tiny', '--steps', '4',
    '--batch', '4', '--seq', '32', '--vocab-size', '600', '--save-every', '4'], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  const checkpoint = path.join(run, 'checkpoints', 'step-4');
  const file = path.join(corpus, 'typescript.md');
  const text = fs.readFileSync(file, 'utf8');
  const cli = JSON.parse(spawnSync(process.execPath, [CLI, 'heatmap', '--checkpoint', checkpoint, file, '--json'], { encoding: 'utf8' }).stdout);

  const { child, connection } = startEngine();
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { backend: 'wasm' } });
    await connection.sendNotification('initialized', {});
    const info = await connection.sendRequest(engineInfo);
    assert.equal(info.tier, 'wasm');
    assert.match(info.backend, /^wasm/);

    const uri = 'file:///doc.md';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'markdown', version: 1, text } });
    const first = await connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint });
    assert.equal(first.tokens.length, cli.tokens.length);
    first.tokens.forEach((t, i) => {
      assert.equal(t.start, cli.tokens[i].start);
      assert.equal(t.end, cli.tokens[i].end);
      assert.ok(Math.abs(t.p - cli.tokens[i].p) < 1e-6, `token ${i}: engine ${t.p} vs cli ${cli.tokens[i].p}`);
    });
    const again = await connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint });
    assert.equal(again.elapsedMs, 0, 'served from the cache');

    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'A changed document.' }] });
    await assert.rejects(connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint }), /stale/);
    const changed = await connection.sendRequest(heatmapScores, { uri, version: 2, checkpoint });
    const newText = 'A changed document.';
    assert.equal(changed.tokens.map((t) => newText.slice(t.start, t.end)).join(''), 'Achangeddocument.', 'scores follow the edited text');

    const sample = await connection.sendRequest(corruptSample, { uri, version: 2, checkpoint, seed: 1 });
    assert.equal(sample.tokens.length, changed.tokens.length);
    await assert.rejects(connection.sendRequest(heatmapScores, { uri, version: 2, checkpoint: tempDir('not-a-checkpoint') }), /config\.json|checkpoint/);
    const huge = 'file:///huge.txt';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: huge, languageId: 'plaintext', version: 1, text: 'word '.repeat(60_000) } });
    await assert.rejects(connection.sendRequest(heatmapScores, { uri: huge, version: 1, checkpoint }), /300,000 characters.*up to 200,000/);
    assert.equal(child.exitCode, null, 'a bad request does not kill the engine');

    await connection.sendRequest('shutdown');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await connection.sendNotification('exit');
    assert.equal(await exited, 0);
  } finally {
    connection.dispose();
    child.kill();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource, createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { corruptSample, engineInfo, heatmapScores, tokenPredictions } from '../src/protocol';
import { CLI, cliCheckpoint, ROOT, tempDir } from './helpers';

const SERVER = path.join(ROOT, 'dist', 'server.js');

/** The engine process as the extension starts it: dist/server.js over stdio. */
function startEngine() {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  return { child, connection };
}

test('the engine language server scores an open document exactly as the CLI heatmap does, caches by version, rejects stale requests', async () => {
  const { checkpoint, corpus } = cliCheckpoint('srv', 4);
  const file = path.join(corpus, 'typescript.md');
  const text = fs.readFileSync(file, 'utf8');
  const cli = JSON.parse(spawnSync(process.execPath, [CLI, 'heatmap', '--checkpoint', checkpoint, file, '--json'], { encoding: 'utf8' }).stdout);

  const { child, connection } = startEngine();
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {
      backend: 'wasm', allowedRoots: { roots: [os.tmpdir(), ROOT], trusted: true },
    } });
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
    assert.equal(first.windowsScored, first.windows);
    const again = await connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint });
    assert.equal(again.windowsScored, 0, 'served from the window cache');
    assert.deepEqual(again.tokens, first.tokens);
    const visible = { start: text.indexOf('\n', text.length / 2), end: text.indexOf('\n', text.length / 2) + 400 };
    const part = await connection.sendRequest(heatmapScores, { uri, version: 1, checkpoint, range: visible });
    assert.deepEqual(part.range, visible);
    assert.deepEqual(part.tokens, first.tokens.filter((t) => t.start < visible.end && t.end > visible.start), 'a range gives the whole document\'s numbers');
    assert.ok(part.windows < first.windows / 3);

    // An edit in the middle: only the windows holding it go through the model again.
    const edited = text.slice(0, visible.start) + ' newly typed words' + text.slice(visible.start);
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    const afterEdit = await connection.sendRequest(heatmapScores, { uri, version: 2, checkpoint, range: visible });
    assert.ok(afterEdit.windowsScored >= 1 && afterEdit.windowsScored <= 4, `${afterEdit.windowsScored} windows re-scored`);

    // Hover: the token's P and logit as the heatmap has them, and the generator's top 5 with [MASK] in its place.
    const hovered = afterEdit.tokens[5];
    const hover = await connection.sendRequest(tokenPredictions, { uri, version: 2, checkpoint, offset: hovered.start });
    assert.deepEqual(hover.token, hovered);
    assert.equal(hover.top?.length, 5);
    assert.ok(hover.top!.every((t, i) => t.p > 0 && (i === 0 || t.p <= hover.top![i - 1].p)));

    // A cancelled request stops between windows and answers RequestCancelled; so does one the document moved past.
    // Long enough (~80 windows, ten forward passes) that the cancellation, sent right after, finds it scoring.
    const backwards = text.split('\n').reverse();
    const reversed = [...backwards, ...backwards.map((l) => l.toLowerCase()), ...backwards.map((l) => l.replace(/e/g, 'a'))].join('\n');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: reversed }] });
    const source = new CancellationTokenSource();
    const cancelled = connection.sendRequest(heatmapScores, { uri, version: 3, checkpoint }, source.token);
    source.cancel(); // arrives while the engine loads the checkpoint or between windows (test/heatmap-windows.test.ts stops one mid-way)
    await assert.rejects(cancelled, (e: ResponseError<void>) => e.code === -32800);
    // Windows none of the requests above cached, and enough of them (~80, ten forward passes) that the change
    // sent right after the request arrives while it is still scoring.
    const lines = text.split('\n').sort();
    const sorted = [...lines, ...lines.map((l) => l.split(' ').reverse().join(' ')), ...lines.map((l) => l.toUpperCase())].join('\n');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: sorted }] });
    const superseded = connection.sendRequest(heatmapScores, { uri, version: 4, checkpoint });
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text: sorted + ' more' }] });
    await assert.rejects(superseded, (e: ResponseError<void>) => e.code === -32800);

    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 6 }, contentChanges: [{ text: 'A changed document.' }] });
    await assert.rejects(connection.sendRequest(heatmapScores, { uri, version: 5, checkpoint }), /stale/);
    const changed = await connection.sendRequest(heatmapScores, { uri, version: 6, checkpoint });
    const newText = 'A changed document.';
    assert.equal(changed.tokens.map((t) => newText.slice(t.start, t.end)).join(''), 'Achangeddocument.', 'scores follow the edited text');

    const sample = await connection.sendRequest(corruptSample, { uri, version: 6, checkpoint, seed: 1 });
    assert.equal(sample.tokens.length, changed.tokens.length);
    await assert.rejects(connection.sendRequest(heatmapScores, { uri, version: 6, checkpoint: tempDir('not-a-checkpoint') }), /config\.json|checkpoint/);
    const huge = 'file:///huge.txt';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: huge, languageId: 'plaintext', version: 1, text: 'word '.repeat(60_000) } });
    await assert.rejects(connection.sendRequest(heatmapScores, { uri: huge, version: 1, checkpoint }), /300,000 characters.*whole-document heatmaps go up to 200,000.*range/);
    const hugeRange = await connection.sendRequest(heatmapScores, { uri: huge, version: 1, checkpoint, range: { start: 150_000, end: 153_000 } });
    assert.ok(hugeRange.tokens.length >= 600 && hugeRange.tokens.every((t) => t.end > 150_000 && t.start < 153_000), 'a big document is scored by range');
    assert.ok(hugeRange.windows < 60, `${hugeRange.windows} windows for 3,000 of 300,000 characters`);
    const binary = 'file:///data.bin';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: binary, languageId: 'plaintext', version: 1, text: 'PK\u0003\u0004\u0000\u0000 data' } });
    await assert.rejects(connection.sendRequest(heatmapScores, { uri: binary, version: 1, checkpoint }), /binary/);
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

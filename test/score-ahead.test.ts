import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { initBackend } from '../src/engine/backend';
import { CheckpointCache } from '../src/engine/service/checkpoints';
import { HeatmapService } from '../src/engine/service/heatmap';
import { shiftRange } from '../src/engine/service/score-ahead';
import { cliCheckpoint, ROOT } from './helpers';

test('a range moves with the text after an edit before it, stays put for one after it, and is clipped to the new text', () => {
  const before = 'alpha beta gamma delta';
  const range = { start: 6, end: 16 }; // "beta gamma"
  assert.deepEqual(shiftRange(range, before, 'new alpha beta gamma delta'), { start: 10, end: 20 });
  assert.deepEqual(shiftRange(range, before, 'alpha beta gamma delta!!'), range);
  assert.deepEqual(shiftRange(range, before, 'alpha beta typed gamma delta'), { start: 6, end: 22 }, 'an edit inside widens it');
  assert.deepEqual(shiftRange(range, before, 'alpha '), { start: 6, end: 6 });
  assert.deepEqual(shiftRange(range, before, 'a'), { start: 1, end: 1 });
});

let checkpoint: string | undefined;
const tinyCheckpoint = () => (checkpoint ??= cliCheckpoint('ahead', 2).checkpoint);

const TEXT = fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'README.md'), 'utf8');

/** An insertion at `at`, sent as the editor sends it (incremental change), as the engine's TextDocuments applies it. */
function insert(doc: TextDocument, at: number, text: string): void {
  const position = doc.positionAt(at);
  TextDocument.update(doc, [{ range: { start: position, end: position }, text }], doc.version + 1);
}

test('after an edit the engine scores ahead what the editor asked last, so its next request runs no window and gets exact scores', async () => {
  await initBackend('wasm');
  const service = new HeatmapService(new CheckpointCache());
  const uri = 'file:///ahead.md';
  const doc = TextDocument.create(uri, 'markdown', 1, TEXT);
  const view = { start: TEXT.indexOf('\n', TEXT.length / 3), end: TEXT.indexOf('\n', TEXT.length / 3) + 1500 };
  const ask = (range: { start: number; end: number }, provisional = true) =>
    service.score(doc, { uri, version: doc.version, checkpoint: tinyCheckpoint(), range, provisional, scoreAhead: true }, () => false);
  await ask(view);

  const at = TEXT.indexOf('\n', view.start + 500);
  insert(doc, at, ' several freshly typed words');
  const moved = { start: view.start, end: view.end + 28 };
  await service.scoreAhead(doc, () => true);
  const answer = await ask(moved);
  assert.ok(answer.scoredAhead >= 2, `${answer.scoredAhead} windows were scored ahead (the edited chunk's and its neighbours')`);
  assert.equal(answer.windowsScored, 0, 'the request found every window it needs');
  assert.equal(answer.provisional, 0, 'so its first answer is already exact');
  const fresh = await new HeatmapService(new CheckpointCache()).score(doc, { uri, version: doc.version, checkpoint: tinyCheckpoint(), range: moved }, () => false);
  assert.deepEqual(answer.tokens, fresh.tokens);
  assert.equal((await ask(moved)).scoredAhead, 0, 'reported once');

  // A request that comes while it runs makes it stop between windows: between them, no window runs twice.
  insert(doc, view.start + 200, ' more words typed here');
  const ahead = service.scoreAhead(doc, () => true);
  const asked = await ask({ start: view.start, end: view.end + 50 }, false);
  await ahead;
  const needed = await new HeatmapService(new CheckpointCache()).score(doc, { uri, version: doc.version, checkpoint: tinyCheckpoint(), range: { start: view.start, end: view.end + 50 } }, () => false);
  assert.deepEqual(asked.tokens, needed.tokens);
  assert.ok(asked.windowsScored + asked.scoredAhead <= needed.windowsScored + 2, `${asked.windowsScored} run by the request + ${asked.scoredAhead} ahead, ${needed.windowsScored} needed`);
});

test('a document the editor never asked about with scoreAhead, whose version it already asked for, or after it hid the heatmap, is not scored ahead', async () => {
  await initBackend('wasm');
  const service = new HeatmapService(new CheckpointCache());
  const uri = 'file:///plain.md';
  const doc = TextDocument.create(uri, 'markdown', 1, TEXT);
  const range = { start: 0, end: 2000 };
  await service.score(doc, { uri, version: 1, checkpoint: tinyCheckpoint(), range }, () => false);
  insert(doc, 100, ' typed');
  await service.scoreAhead(doc, () => true);
  const answer = await service.score(doc, { uri, version: 2, checkpoint: tinyCheckpoint(), range, scoreAhead: true }, () => false);
  assert.equal(answer.scoredAhead, 0);
  assert.ok(answer.windowsScored >= 1);
  await service.scoreAhead(doc, () => true); // version 2 was asked for: nothing to do
  assert.equal((await service.score(doc, { uri, version: 2, checkpoint: tinyCheckpoint(), range }, () => false)).scoredAhead, 0);
  // The editor hid its heatmap: edits after that are not scored ahead.
  await service.score(doc, { uri, version: 2, checkpoint: tinyCheckpoint(), range, scoreAhead: true }, () => false);
  service.stopScoringAhead();
  insert(doc, 300, ' typed while hidden');
  await service.scoreAhead(doc, () => true);
  assert.equal((await service.score(doc, { uri, version: 3, checkpoint: tinyCheckpoint(), range }, () => false)).scoredAhead, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTaskColumns, TaskFileError } from '../src/client/task-columns';
import { tempDir } from './helpers';

test('the Fine-tune command offers a TSV\'s header names and a JSONL file\'s keys, with the first example\'s values', async () => {
  const dir = tempDir('columns');
  const tsv = path.join(dir, 'train.tsv');
  fs.writeFileSync(tsv, '\uFEFFsentence1\tsentence2\tscore\r\nA man plays.\tA man is playing.\t4.2\r\n');
  assert.deepEqual(await readTaskColumns(tsv), { format: 'tsv', names: ['sentence1', 'sentence2', 'score'], samples: ['A man plays.', 'A man is playing.', '4.2'] });
  const jsonl = path.join(dir, 'train.jsonl');
  fs.writeFileSync(jsonl, '{"premise": "It rains.", "hypothesis": "It is wet.", "label": 1, "meta": {"id": 3}}\n');
  assert.deepEqual(await readTaskColumns(jsonl), { format: 'jsonl', names: ['premise', 'hypothesis', 'label'], samples: ['It rains.', 'It is wet.', '1'] });
  const headerOnly = path.join(dir, 'header.tsv');
  fs.writeFileSync(headerOnly, 'sentence\tlabel\n');
  assert.deepEqual((await readTaskColumns(headerOnly)).samples, ['', '']);
});

test('a task file the command cannot offer columns of is one line naming the file and the fix', async () => {
  const dir = tempDir('columns-bad');
  const cases: [string, string, RegExp][] = [
    ['cola.tsv', 'gj04\t1\t\tOur friends won\'t buy this analysis.\n', /cola\.tsv: the first row looks like data \(a column named "1"\) — start the file with a header row/],
    ['one.tsv', 'just text\nmore text\n', /one\.tsv: the first row has no tab, so no text and label columns — start the file with a header row/],
    ['empty.tsv', '\n\n', /empty\.tsv is empty/],
    ['rows.jsonl', '["a", 1]\n', /rows\.jsonl:1: not a JSON object/],
    ['thin.jsonl', '{"text": "only text"}\n', /thin\.jsonl:1: fewer than two text or number fields/],
  ];
  for (const [name, text, message] of cases) {
    fs.writeFileSync(path.join(dir, name), text);
    await assert.rejects(readTaskColumns(path.join(dir, name)), (e: Error) => e instanceof TaskFileError && message.test(e.message) && !e.message.includes('\n'), name);
  }
  await assert.rejects(readTaskColumns(path.join(dir, 'missing.tsv')), /missing\.tsv: no such file — choose a TSV or JSONL task file/);
});

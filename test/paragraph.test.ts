import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paragraphAt } from '../src/client/paragraph';

const text = '# Title\n\nFirst paragraph,\nstill first.\n\n  \n\nSecond one.\n';
const at = (word: string) => text.indexOf(word);
const slice = (r: { start: number; end: number } | undefined) => (r ? text.slice(r.start, r.end) : undefined);

test('the paragraph around the cursor, trimmed, across its lines', () => {
  assert.equal(slice(paragraphAt(text, at('still'))), 'First paragraph,\nstill first.');
  assert.equal(slice(paragraphAt(text, 0)), '# Title');
  assert.equal(slice(paragraphAt(text, at('Second') + 3)), 'Second one.');
});

test('on a blank line the next paragraph, past the last one the last; none in blank text', () => {
  assert.equal(slice(paragraphAt(text, at('  \n'))), 'Second one.');
  assert.equal(slice(paragraphAt(text, text.length)), 'Second one.');
  assert.equal(paragraphAt('\n  \n\n', 1), undefined);
});

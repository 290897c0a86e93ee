import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRanges, subtractRanges } from '../src/client/char-ranges';

test('the client asks only for the visible character ranges it has not scored yet', () => {
  assert.deepEqual(mergeRanges([{ start: 50, end: 80 }, { start: 0, end: 10 }, { start: 10, end: 20 }, { start: 70, end: 90 }, { start: 5, end: 5 }]),
    [{ start: 0, end: 20 }, { start: 50, end: 90 }]);
  const covered = [{ start: 0, end: 100 }, { start: 200, end: 300 }];
  assert.deepEqual(subtractRanges([{ start: 50, end: 250 }], covered), [{ start: 100, end: 200 }]);
  assert.deepEqual(subtractRanges([{ start: 20, end: 80 }], covered), []);
  assert.deepEqual(subtractRanges([{ start: 250, end: 400 }, { start: 350, end: 500 }], covered), [{ start: 300, end: 500 }]);
  assert.deepEqual(subtractRanges([{ start: 0, end: 10 }], []), [{ start: 0, end: 10 }]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { holdRunLock, RUN_LOCK_FILE } from '../src/engine/checkpoint/run-lock';
import { pretrain } from '../src/engine/pretrain/trainer';
import { tempDir } from './helpers';

test('a run folder holds one training process: a live holder refuses a second, a dead one is taken over', async () => {
  const run = path.join(tempDir('lock'), 'run');
  const release = holdRunLock(run);
  assert.equal(fs.readFileSync(path.join(run, RUN_LOCK_FILE), 'utf8'), String(process.pid));
  release();
  assert.ok(!fs.existsSync(path.join(run, RUN_LOCK_FILE)), 'released');

  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(path.join(run, RUN_LOCK_FILE), String(other.pid));
    assert.throws(() => holdRunLock(run), new RegExp(`in use by another training process \\(pid ${other.pid}\\) — wait until it stops`));
    // pretrain (and so Resume Run) refuses before it touches anything in the folder.
    await assert.rejects(pretrain({ corpus: ['nothing'], out: run, resume: true }), /in use by another training process/);
  } finally {
    other.kill();
  }
  await new Promise((resolve) => other.on('exit', resolve));
  const again = holdRunLock(run); // the holder is gone: its lock is stale
  assert.equal(fs.readFileSync(path.join(run, RUN_LOCK_FILE), 'utf8'), String(process.pid));
  again();
});

/** The host's side of the trust boundary: the engine's roots, what a page may name, and workspace trust. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { allowedRootsFor, checkCorpus, checkRunDir, TRAINING_COMMANDS, trustRefusal } from '../src/client/trust';
import { ROOT } from './helpers';

const facts = {
  workspaceFolders: ['/home/u/project'], runsRoot: '/data/runs', picked: ['/data/hf/electra-small'],
  heatmapCheckpoint: '/data/other/ckpt', trusted: true,
};

describe('the engine\'s allowed roots', () => {
  it('trusted: the workspace, the runs folder, dialog picks and the configured checkpoint', () => {
    assert.deepEqual(allowedRootsFor(facts), {
      roots: ['/home/u/project', '/data/runs', '/data/hf/electra-small', '/data/other/ckpt'], trusted: true,
    });
  });
  it('untrusted: the workspace folders only, and no training', () => {
    assert.deepEqual(allowedRootsFor({ ...facts, trusted: false }), { roots: ['/home/u/project'], trusted: false });
  });
  it('no folder open and nothing picked: nothing at all', () => {
    assert.deepEqual(allowedRootsFor({ workspaceFolders: [], picked: [], trusted: true }).roots, []);
  });
});

describe('what a page may name', () => {
  const runs = ['/home/u/project/.electra/runs/tiny-1', '/home/u/project/.electra/runs/tiny-2'];
  it('loadRunSamples.runDir: only a run the host listed', () => {
    assert.deepEqual(checkRunDir('/home/u/project/.electra/runs/tiny-2', runs), { dir: runs[1] });
    assert.deepEqual(checkRunDir('/home/u/project/.electra/runs/tiny-2/', runs), { dir: runs[1] });
    for (const hostile of ['/etc', '/home/u/project/.electra/runs/tiny-1/../../../../../etc', '/home/u/project/.electra/runs', 'tiny-1', '']) {
      const r = checkRunDir(hostile, runs);
      assert.ok('refused' in r && /not one of this workspace's runs/.test(r.refused), hostile);
    }
  });
  it('evaluate.corpus: absolute paths and globs inside the workspace or the runs folder, no ".."', () => {
    const roots = ['/home/u/project', '/data/runs'];
    assert.equal(checkCorpus(['/home/u/project/docs', '/home/u/project/**/*.md', '/data/runs/x/notes.txt'], roots), undefined);
    for (const hostile of ['/etc/passwd', '/etc/**', '/**/*.md', '/home/u/project/../../../etc/passwd', '/home/u/project/**/../../etc/*',
      '/home/u/projectX/a.txt', 'relative/*.md', '{/etc,/home/u/project}/*']) {
      assert.ok(checkCorpus(['/home/u/project/a.md', hostile], roots)?.refused, hostile);
    }
  });
});

describe('workspace trust', () => {
  it('holds back the training commands only, and only when untrusted', () => {
    for (const id of TRAINING_COMMANDS) {
      assert.match(trustRefusal(id, false) ?? '', /untrusted workspace/);
      assert.equal(trustRefusal(id, true), undefined);
    }
    for (const id of ['electraLab.toggleHeatmap', 'electraLab.evaluateCheckpoint', 'electraLab.openLabPanel']) assert.equal(trustRefusal(id, false), undefined);
  });
  it('package.json declares limited support, its description, and restricts the path settings', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.match(untrusted.description, /no pretraining or fine-tuning/);
    assert.deepEqual([...untrusted.restrictedConfigurations].sort(), ['electraLab.backend', 'electraLab.heatmap.checkpoint', 'electraLab.runsDirectory']);
    const declared = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    for (const id of TRAINING_COMMANDS) assert.ok(declared.has(id), `${id} is a declared command`);
  });
});

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/client/pretraining';
import type { ElectraLabApi } from '../../../src/extension';
import type { PaintedHeatmap } from '../../../src/client/heatmap';

/** The runner prepares the workspace: doc.md, a trained checkpoint, and the CLI's `heatmap --json` of doc.md. */
function workspaceFile(name: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration tests need the prepared workspace folder');
  return path.join(folder.uri.fsPath, name);
}

/** The file's text once it exists (the terminal writes it whole, by rename). */
async function eventuallyFile(file: string, timeoutMs: number): Promise<string> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await new Promise((r) => setTimeout(r, 250))) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  }
  throw new Error(`timed out waiting for ${file}`);
}

function nextPaint(api: ElectraLabApi, uri: vscode.Uri, predicate: (p: PaintedHeatmap) => boolean, what: string): Promise<PaintedHeatmap> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 120_000);
    const sub = api.heatmap.onDidPaint((p) => {
      if (p.uri === uri.toString() && predicate(p)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(p);
      }
    });
  });
}

async function setDebounce(ms: number): Promise<void> {
  await vscode.workspace.getConfiguration('electraLab').update('heatmap.debounceMs', ms, vscode.ConfigurationTarget.Workspace);
}

/** Asks the runner (outside the editor) to take a screenshot of the browser, and waits until it has. */
async function screenshot(name: string): Promise<void> {
  if (process.env.ELECTRA_E2E_NO_SCREENSHOTS) return; // a runner that cannot take them (test-electron)
  const request = workspaceFile(`.screenshot-${name}.request`);
  fs.writeFileSync(request, name);
  const deadline = Date.now() + 30_000;
  while (fs.existsSync(request) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

export function registerExtensionTests(mocha: Mocha): void {
  const suite = Mocha.Suite.create(mocha.suite, 'ELECTRA Lab in a real VS Code');
  let api: ElectraLabApi;
  const add = (title: string, fn: () => Promise<void>) => suite.addTest(new Mocha.Test(title, fn));

  add('activates, starts the engine process and registers its commands', async () => {
    const extension = vscode.extensions.getExtension<ElectraLabApi>('electra-lab.electra-lab');
    assert.ok(extension, 'extension electra-lab.electra-lab is installed');
    api = await extension.activate();
    assert.ok(api.engine.engine, 'the engine answered engineInfo');
    assert.match(api.engine.engine.backend, /^(native|wasm|cpu|tensorflow)/);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['electraLab.startPretraining', 'electraLab.stopRun', 'electraLab.resumeRun', 'electraLab.toggleHeatmap', 'electraLab.chooseCheckpoint', 'electraLab.showEngineLog', 'electraLab.restartEngine']) {
      assert.ok(commands.includes(id), `${id} registered`);
    }
  });

  add('an integrated terminal finds the electra-lab command line on its PATH (as after a VSIX install)', async () => {
    assert.ok(api.cliBin, 'the shim folder was written');
    const out = workspaceFile('doctor-from-terminal.json');
    const terminal = vscode.window.createTerminal({ name: 'electra-lab on PATH', cwd: workspaceFile('.') });
    terminal.sendText(`electra-lab doctor --json > ${JSON.stringify(out)}.tmp && mv ${JSON.stringify(out)}.tmp ${JSON.stringify(out)}`);
    const report = await eventuallyFile(out, 120_000);
    terminal.dispose();
    const parsed = JSON.parse(report) as { tier?: string; skipped?: unknown[] };
    assert.ok(typeof parsed.tier === 'string' && Array.isArray(parsed.skipped), report.slice(0, 200));
  });

  add('paints a heatmap whose probabilities match the CLI heatmap --json for the same checkpoint and text', async () => {
    const expected = JSON.parse(fs.readFileSync(workspaceFile('expected-heatmap.json'), 'utf8')) as { tokens: { start: number; end: number; p: number }[] };
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const painted = nextPaint(api, uri, (p) => p.complete && !p.provisional, 'the first heatmap');
    await vscode.commands.executeCommand('electraLab.toggleHeatmap');
    const result = await painted;
    assert.equal(result.tokens.length, expected.tokens.length);
    result.tokens.forEach((t, i) => {
      assert.equal(t.start, expected.tokens[i].start);
      assert.equal(t.end, expected.tokens[i].end);
      assert.ok(Math.abs(t.p - expected.tokens[i].p) < 1e-6, `token ${i}: ${t.p} vs CLI ${expected.tokens[i].p}`);
    });
    const paintedRanges = result.rangesPerLevel.reduce((a, b) => a + b, 0);
    assert.ok(paintedRanges > 0, 'some tokens are painted');
    await screenshot('heatmap');
  });

  add('an edit triggers a re-score of the new version', async () => {
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())!;
    const before = editor.document.version;
    const repainted = nextPaint(api, uri, (p) => p.version > before, 'a re-score after the edit');
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'Freshly typed words. '));
    const result = await repainted;
    assert.equal(result.version, editor.document.version);
    assert.equal(editor.document.getText().slice(result.tokens[0].start, result.tokens[0].end).toLowerCase(), 'freshly'.slice(0, result.tokens[0].end - result.tokens[0].start));
  });

  add('hovering a token shows P(replaced), the logit, the generator\'s top 5 and the legend', async () => {
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const painted = api.heatmap.lastPainted(uri)!;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())!;
    const token = painted.tokens.find((t) => t.end - t.start >= 4)!;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, editor.document.positionAt(token.start + 2));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.ok(text.includes(`P(replaced) **${token.p.toFixed(3)}**`), text);
    assert.ok(text.includes(`logit ${token.logit.toFixed(3)}`), text);
    assert.match(text, /top 5/);
    assert.equal(text.match(/^\| `[^`]+` \| 0\.\d{3} \|$/gm)?.length, 5, `five predictions in ${text}`);
    assert.match(text, /Legend/);
    editor.selection = new vscode.Selection(editor.document.positionAt(token.start + 1), editor.document.positionAt(token.start + 1));
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 1500));
    await screenshot('heatmap-hover');
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
  });

  add('an edit in a longer document re-scores only the windows that hold it', async () => {
    const uri = vscode.Uri.file(workspaceFile('long.md'));
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const first = await nextPaint(api, uri, (p) => p.complete, 'the long document scored');
    assert.ok(first.windowsScored > 20, `cold: ${first.windowsScored} windows ran through the model`);
    const line = Math.floor(document.lineCount / 2);
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenter);
    // No debounce: the editor asks at once, before the engine would score the edit ahead (see the next test).
    await setDebounce(0);
    const before = document.version;
    const quick = nextPaint(api, uri, (p) => p.version > before, 'the first paint after the edit');
    const rescored = nextPaint(api, uri, (p) => p.version > before && p.complete && !p.provisional, 'the re-score after the edit');
    await editor.edit((b) => b.insert(document.lineAt(line).range.end, ' and some freshly typed words'));
    const [fast, after] = await Promise.all([quick, rescored]);
    await setDebounce(100);
    assert.equal(after.windowsScoredAhead, 0);
    assert.ok(after.windowsScored >= 1 && after.windowsScored <= 4, `${after.windowsScored} windows re-scored (${first.windowsScored} for the first scoring)`);
    // What was typed is painted after its own chunk's window alone; the neighbours' windows follow.
    assert.ok(fast.provisional, 'the first paint after the edit keeps the neighbours\' earlier scores');
    assert.ok(fast.windowsScored < after.windowsScored, `first paint ran ${fast.windowsScored} windows, all of them ${after.windowsScored}`);
    const typed = document.getText().indexOf('freshly typed words');
    assert.ok(fast.tokens.some((t) => t.start >= typed && t.end <= typed + 19), 'the typed words are scored in the first paint');
  });

  add('while the editor debounces typing, the engine scores the edit ahead: the request after the pause runs no window', async () => {
    const uri = vscode.Uri.file(workspaceFile('long.md'));
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())!;
    await setDebounce(1500);
    const before = editor.document.version;
    const painted = nextPaint(api, uri, (p) => p.version > before && p.complete && !p.provisional, 'the paint after the pause');
    const line = Math.floor(editor.document.lineCount / 2) + 2;
    await editor.edit((b) => b.insert(editor.document.lineAt(line).range.end, ' words typed before a pause'));
    const result = await painted;
    await setDebounce(100);
    assert.ok(result.windowsScoredAhead >= 1 && result.windowsScoredAhead <= 4, `${result.windowsScoredAhead} windows scored ahead`);
    assert.equal(result.windowsScored, 0, 'the requests found every window already run');
  });

  add('a 10,000-line document is scored around the visible lines, and more as it scrolls', async () => {
    const uri = vscode.Uri.file(workspaceFile('big.md'));
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.lineCount, 10_000);
    const editor = await vscode.window.showTextDocument(document);
    const top = await nextPaint(api, uri, () => true, 'the visible part of the big document');
    assert.equal(top.complete, false);
    const lastScoredLine = document.positionAt(top.tokens[top.tokens.length - 1].end).line;
    assert.ok(top.tokens.length > 0 && lastScoredLine < 200, `scored up to line ${lastScoredLine}`);
    const scrolled = nextPaint(api, uri, (p) => p.tokens.some((t) => document.positionAt(t.start).line >= 7000), 'the heatmap after scrolling');
    editor.revealRange(new vscode.Range(7000, 0, 7000, 0), vscode.TextEditorRevealType.AtTop);
    const after = await scrolled;
    assert.ok(after.tokens.every((t) => { const l = document.positionAt(t.start).line; return l < 200 || (l > 6900 && l < 7200); }), 'only what was visible');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(workspaceFile('doc.md'))));
  });

  add('a binary document gets one clear notification and no heatmap, whether VS Code opens it as text or not', async () => {
    const notified = (uri: vscode.Uri) => new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notification for ${uri.toString()}`)), 30_000);
      const sub = api.heatmap.onDidNotify((n) => {
        if (n.uri !== uri.toString()) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(n.message);
      });
    });
    const withNul = await vscode.workspace.openTextDocument({ language: 'markdown', content: 'PK\u0003\u0004\u0000\u0000 not text' });
    const first = notified(withNul.uri);
    await vscode.window.showTextDocument(withNul);
    assert.match(await first, /binary/);
    assert.equal(api.heatmap.lastPainted(withNul.uri), undefined);

    // A binary file VS Code itself refuses to show as text: no document reaches the extension, the tab does.
    const file = vscode.Uri.file(workspaceFile('data.bin'));
    fs.writeFileSync(file.fsPath, Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0xff, 0xfe, 0, 1, 2, 3]));
    const second = notified(file);
    await vscode.commands.executeCommand('vscode.open', file);
    assert.match(await second, /binary/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(workspaceFile('doc.md'))));
  });

  add('Start Pretraining trains in the engine\'s child process, writes a checkpoint, and heatmaps stay served meanwhile', async () => {
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const out = workspaceFile(path.join('.electra', 'runs', 'from-editor'));
    let firstStep!: () => void;
    const stepping = new Promise<void>((resolve) => (firstStep = resolve));
    const sub = api.engine.onRunEvent((e) => e.runDir === out && e.kind === 'step' && firstStep());
    const run = vscode.commands.executeCommand<{ runDir: string; checkpoint?: string; failed?: string }>('electraLab.startPretraining', {
      corpus: [workspaceFile('corpus')], out, preset: 'tiny', steps: 40, batch: 4, seq: 32, saveEvery: 40,
    });
    await stepping;
    sub.dispose();
    // While it trains, an edit is re-scored without waiting for the run.
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())!;
    const before = editor.document.version;
    const repainted = nextPaint(api, uri, (p) => p.version > before, 'a re-score during training');
    let runFinished = false;
    void run.then(() => (runFinished = true));
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'More words. '));
    await repainted;
    assert.equal(runFinished, false, 'the heatmap was served while the run was still training');
    const outcome = await run;
    assert.equal(outcome.failed, undefined, outcome.failed);
    assert.ok(outcome.checkpoint && fs.existsSync(path.join(outcome.checkpoint, 'model.safetensors')), 'the run wrote a checkpoint');
  });

  add('the Runs view shows a run while it trains (step, rate, ETA); its end says what it learned, offers next steps and takes the heatmap when none was chosen', async () => {
    const settings = vscode.workspace.getConfiguration('electraLab');
    const before = settings.get<string>('heatmap.checkpoint');
    await settings.update('heatmap.checkpoint', undefined, vscode.ConfigurationTarget.Workspace);
    const out = workspaceFile(path.join('.electra', 'runs', 'live'));
    let third!: () => void;
    const stepping = new Promise<void>((resolve) => (third = resolve));
    const sub = api.engine.onRunEvent((e) => e.runDir === out && e.kind === 'step' && e.step >= 3 && third());
    const run = vscode.commands.executeCommand<RunOutcome>('electraLab.startPretraining', {
      corpus: [workspaceFile('corpus')], out, preset: 'tiny', steps: 60, batch: 4, seq: 32, saveEvery: 60,
    });
    await stepping;
    sub.dispose();
    const live = (await api.runs.getChildren()).find((r) => r.kind === 'run' && r.label === 'live');
    assert.ok(live?.kind === 'run' && live.running, 'listed as running');
    assert.match(live.description, /^running · step \d+ of 60/);
    assert.equal(api.runs.getTreeItem(live).contextValue, 'electraRunRunning', 'the running run offers Stop');
    const outcome = await run;
    assert.equal(outcome.failed, undefined, outcome.failed);
    const summary = outcome.summary!;
    assert.match(summary.learned ?? '', /found \d+ of \d+ .*chance would find ~\d+/);
    assert.ok(summary.message.includes('live finished at step 60'), summary.message);
    assert.deepEqual(summary.actions, ['Use for Heatmap', 'Open Dashboard', 'Evaluate']);
    assert.equal(summary.choseForHeatmap, true);
    // getConfiguration is a snapshot: read the setting again.
    assert.equal(vscode.workspace.getConfiguration('electraLab').get('heatmap.checkpoint'), outcome.checkpoint);
    const ended = (await api.runs.getChildren()).find((r) => r.kind === 'run' && r.label === 'live');
    assert.ok(ended?.kind === 'run' && !ended.running && /step 60 of 60/.test(ended.description), ended?.description);
    await settings.update('heatmap.checkpoint', before, vscode.ConfigurationTarget.Workspace);
  });

  add('Resume Run continues the run from its last checkpoint; Stop Run ends a run with a checkpoint', async () => {
    const out = workspaceFile(path.join('.electra', 'runs', 'from-editor'));
    const resumed = await vscode.commands.executeCommand<{ checkpoint?: string; failed?: string }>('electraLab.resumeRun', { out, steps: 50 });
    assert.equal(resumed.failed, undefined, resumed.failed);
    assert.equal(path.basename(resumed.checkpoint ?? ''), 'step-50');

    const long = workspaceFile(path.join('.electra', 'runs', 'to-stop'));
    let stepped!: () => void;
    const stepping = new Promise<void>((resolve) => (stepped = resolve));
    const sub = api.engine.onRunEvent((e) => e.runDir === long && e.kind === 'step' && e.step >= 2 && stepped());
    const run = vscode.commands.executeCommand<{ checkpoint?: string; stopped: boolean; failed?: string }>('electraLab.startPretraining', {
      corpus: [workspaceFile('corpus')], out: long, preset: 'tiny', steps: 5000, batch: 4, seq: 32, saveEvery: 5000,
    });
    await stepping;
    sub.dispose();
    await vscode.commands.executeCommand('electraLab.stopRun', long);
    const outcome = await run;
    assert.equal(outcome.failed, undefined, outcome.failed);
    assert.equal(outcome.stopped, true);
    assert.ok(outcome.checkpoint && fs.existsSync(path.join(outcome.checkpoint, 'model.safetensors')), 'Stop wrote a checkpoint');
  });

  add('the Runs view lists runs from the editor and from the CLI with their checkpoints; one click puts a checkpoint on the heatmap', async () => {
    const runs = await api.runs.getChildren();
    const names = runs.map((r) => (r.kind === 'run' ? r.label : ''));
    for (const name of ['e2e', 'from-editor', 'to-stop']) assert.ok(names.includes(name), `run ${name} listed (got ${names.join(', ')})`);
    const fromEditor = runs.find((r) => r.kind === 'run' && r.label === 'from-editor')!;
    const checkpoints = await api.runs.getChildren(fromEditor);
    assert.deepEqual(checkpoints.map((c) => (c.kind === 'checkpoint' ? c.step : -1)), [50, 40]);
    assert.match(checkpoints[0].description, /loss \d/);
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const repainted = nextPaint(api, uri, () => true, 'a heatmap from the chosen checkpoint');
    await vscode.commands.executeCommand('electraLab.useCheckpointForHeatmap', checkpoints[0]);
    await repainted;
    assert.equal(vscode.workspace.getConfiguration('electraLab').get('heatmap.checkpoint'), checkpoints[0].kind === 'checkpoint' && checkpoints[0].dir);
  });

  add('a run trained by the exported PyTorch job (torchrun, 2 processes) is in the Runs view; its checkpoint paints a heatmap', async () => {
    const runs = await api.runs.getChildren();
    const job = runs.find((r) => r.kind === 'run' && r.label === 'torch-job');
    assert.ok(job, `torch-job listed (got ${runs.map((r) => (r.kind === 'run' ? r.label : '')).join(', ')})`);
    const checkpoints = await api.runs.getChildren(job);
    assert.deepEqual(checkpoints.map((c) => (c.kind === 'checkpoint' ? c.step : -1)), [4, 2]);
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const settings = vscode.workspace.getConfiguration('electraLab');
    const before = settings.get<string>('heatmap.checkpoint');
    const repainted = nextPaint(api, uri, () => true, "a heatmap from the PyTorch job's checkpoint");
    await vscode.commands.executeCommand('electraLab.useCheckpointForHeatmap', checkpoints[0]);
    const result = await repainted;
    assert.ok(result.tokens.length > 0 && result.tokens.every((t) => t.p >= 0 && t.p <= 1));
    await settings.update('heatmap.checkpoint', before, vscode.ConfigurationTarget.Workspace);
  });

  add('a killed engine process is restarted, the heatmap comes back, and a run it was following ends with a checkpoint', async () => {
    const uri = vscode.Uri.file(workspaceFile('doc.md'));
    const out = workspaceFile(path.join('.electra', 'runs', 'orphaned'));
    let firstStep!: () => void;
    const stepping = new Promise<void>((resolve) => (firstStep = resolve));
    const sub = api.engine.onRunEvent((e) => e.runDir === out && e.kind === 'step' && firstStep());
    const run = vscode.commands.executeCommand<{ checkpoint?: string; failed?: string }>('electraLab.startPretraining', {
      corpus: [workspaceFile('corpus')], out, preset: 'tiny', steps: 100_000, batch: 4, seq: 32, saveEvery: 100_000,
    });
    await stepping;
    sub.dispose();
    const oldPid = api.engine.engine!.pid;
    const restarted = new Promise<void>((resolve) => {
      const restartSub = api.engine.onDidRestart(() => {
        restartSub.dispose();
        resolve();
      });
    });
    const repainted = nextPaint(api, uri, () => true, 'a heatmap from the restarted engine');
    process.kill(oldPid, 'SIGKILL');
    await restarted;
    assert.notEqual(api.engine.engine!.pid, oldPid);
    const result = await repainted;
    assert.ok(result.tokens.length > 0);
    // The run's progress ends instead of waiting for events no engine will send…
    const outcome = await run;
    assert.match(outcome.failed ?? '', /engine restarted/);
    // …and the run, left without its engine, stops after its step and saves a checkpoint.
    const checkpoints = path.join(out, 'checkpoints');
    const deadline = Date.now() + 60_000;
    // `step-N` only: the checkpoint is written as `step-N.tmp-*` first and renamed when complete.
    while (!(fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).some((d) => /^step-\d+$/.test(d))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const saved = fs.existsSync(checkpoints) ? fs.readdirSync(checkpoints).filter((d) => /^step-\d+$/.test(d)) : [];
    assert.equal(saved.length, 1, `checkpoints: ${saved.join(', ')}`);
    assert.ok(fs.existsSync(path.join(checkpoints, saved[0], 'model.safetensors')));
  });
}

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { ElectraLabApi } from '../../../src/extension';
import type { PanelHost } from '../../../src/client/panels/panel-host';
import { screenshot, workspaceFile } from './workspace';

/** Polls until `check` returns a value (the panels answer asynchronously, through the engine). */
async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The page loaded under its CSP, ran its script and said `ready` (the host validated the message). */
function pageReady<T, F extends { type: string }>(host: () => PanelHost<T, F> | undefined, what: string) {
  return eventually(`${what} page to post ready`, () => (host()?.received.some((m) => m.type === 'ready') ? true : undefined));
}

export function registerPanelTests(mocha: Mocha): void {
  const suite = Mocha.Suite.create(mocha.suite, 'ELECTRA Lab panels in a real VS Code');
  let api: ElectraLabApi;
  const add = (title: string, fn: () => Promise<void>) => suite.addTest(new Mocha.Test(title, fn));
  const checkpoint = () => workspaceFile(path.join('.electra', 'runs', 'e2e', 'checkpoints', 'step-40'));

  add('Corrupt Selection opens the Lab panel; the page asks and gets a corruption sample of the selected passage', async () => {
    api = await vscode.extensions.getExtension<ElectraLabApi>('electra-lab.electra-lab')!.activate();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(workspaceFile('doc.md')));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const start = doc.getText().indexOf('ELECTRA trains');
    const end = doc.getText().indexOf('afterwards.') + 'afterwards.'.length;
    editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(end));
    await vscode.commands.executeCommand('electraLab.corruptSelection');
    const lab = () => api.panels.lab.panelHost;
    await pageReady(lab, 'Lab');
    const sample = await eventually('a corruption sample', () => lab()?.sent.find((m) => m.type === 'corruption'));
    assert.ok(sample.type === 'corruption');
    assert.ok(sample.result.tokens.length > 10, `${sample.result.tokens.length} tokens`);
    assert.ok(sample.result.tokens.every((t) => t.start >= start && t.end <= end), 'tokens lie inside the selection');
    assert.ok(sample.result.tokens.some((t) => t.selected), 'some tokens were masked');
    await eventually('the whole-file heatmap', () => lab()?.sent.find((m) => m.type === 'heatmap'));
    await screenshot('lab-panel');
  });

  add('the Lab page\'s threshold is the setting electraLab.heatmap.threshold: sent after ready and on change, never echoed back', async () => {
    const lab = () => api.panels.lab.panelHost;
    const thresholds = () => lab()?.sent.flatMap((m) => (m.type === 'threshold' ? [m.threshold] : [])) ?? [];
    await eventually('the setting sent after ready', () => (thresholds().length ? true : undefined));
    assert.equal(thresholds()[0], 0.5);
    const settings = vscode.workspace.getConfiguration('electraLab');
    await settings.update('heatmap.threshold', 0.7, vscode.ConfigurationTarget.Workspace);
    await eventually('the changed setting sent to the page', () => (thresholds().at(-1) === 0.7 ? true : undefined));
    await settings.update('heatmap.threshold', undefined, vscode.ConfigurationTarget.Workspace);
    await eventually('the default sent again', () => (thresholds().at(-1) === 0.5 ? true : undefined));
    assert.equal(thresholds().filter((t) => t === 0.7).length, 1, `one message for one change: ${thresholds().join(', ')}`);
    assert.ok(!lab()?.received.some((m) => m.type === 'setThreshold'), 'the page posted no threshold of its own');
  });

  add('Corrupt Selection with no selection corrupts the paragraph at the cursor and brings the Corruption tab forward', async () => {
    const lab = () => api.panels.lab.panelHost;
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(workspaceFile('doc.md'))), vscode.ViewColumn.One);
    const text = editor.document.getText();
    const start = text.indexOf('The heatmap paints');
    const end = text.indexOf('replaced.', start) + 'replaced.'.length;
    editor.selection = new vscode.Selection(editor.document.positionAt(start + 5), editor.document.positionAt(start + 5));
    const before = lab()?.sent.length ?? 0;
    await vscode.commands.executeCommand('electraLab.corruptSelection');
    const sample = await eventually('a sample of the paragraph', () => lab()?.sent.slice(before).find((m) => m.type === 'corruption'));
    assert.ok(sample.type === 'corruption');
    assert.deepEqual([sample.source.start, sample.source.end], [start, end], 'the paragraph around the cursor, not the file start');
    assert.ok(sample.result.tokens.length > 5 && sample.result.tokens.every((t) => t.start >= start && t.end <= end));
    assert.ok(lab()?.sent.slice(before).some((m) => m.type === 'showTab' && m.tab === 'corruption'), 'the page was told to show the Corruption tab');
  });

  add('the Runs dashboard lists the workspace run and sends its metrics.jsonl curves', async () => {
    api.panels.lab.panelHost?.dispose(); // one panel at a time, so each screenshot shows its panel whole
    const e2eRun = workspaceFile(path.join('.electra', 'runs', 'e2e'));
    await vscode.commands.executeCommand('electraLab.showRunsDashboard', e2eRun);
    const runs = () => api.panels.runs.panelHost;
    await pageReady(runs, 'Runs');
    const list = await eventually('the run list', () => runs()?.sent.find((m) => m.type === 'runs'));
    assert.ok(list.type === 'runs' && list.runs.some((r) => r.name === 'e2e' && r.status === 'finished'), JSON.stringify(list));
    const metrics = await eventually('metrics of the e2e run', () => runs()?.sent.find((m) => m.type === 'metrics' && m.runDir === e2eRun));
    assert.ok(metrics.type === 'metrics' && metrics.records.length >= 2 && metrics.records.every((r) => typeof r.loss === 'number'));
    await screenshot('runs-dashboard');
  });

  add('Evaluate Checkpoint evaluates in the engine, caches the result next to the checkpoint, and the page receives it', async () => {
    api.panels.runs.panelHost?.dispose();
    await api.panels.evaluation.show([checkpoint()], 'all');
    const evaluation = () => api.panels.evaluation.panelHost;
    await pageReady(evaluation, 'Evaluation');
    const result = await eventually('an evaluation result', () => evaluation()?.sent.find((m) => m.type === 'result' || m.type === 'failed'));
    assert.equal(result.type, 'result', JSON.stringify(result));
    assert.ok(result.type === 'result' && result.evaluation.step === 40 && Number.isFinite(result.evaluation.metrics.disc_auc));
    assert.ok(fs.readdirSync(path.join(checkpoint(), 'eval')).some((f) => f.endsWith('.json')), 'cached next to the checkpoint');
    await eventually('the checkpoint list', () => evaluation()?.sent.find((m) => m.type === 'checkpoints'));
    await screenshot('evaluation-panel');
  });

  add('Fine-tune from the evaluation panel: two checkpoints on one task, each row evaluated again with the task\'s metrics', async () => {
    const other = workspaceFile(path.join('.electra', 'runs', 'from-editor', 'checkpoints', 'step-50'));
    const evaluation = () => api.panels.evaluation.panelHost;
    const task = { train: workspaceFile(path.join('readme-source', 'train.tsv')), dev: workspaceFile(path.join('readme-source', 'dev.tsv')), taskName: 'panel-task', epochs: 1, batch: 8, seq: 32 };
    await api.panels.evaluation.finetune([checkpoint(), other], 'all', task);
    const results = evaluation()!.sent.flatMap((m) => (m.type === 'result' ? [m.evaluation] : []));
    for (const dir of [checkpoint(), other]) {
      assert.ok(fs.existsSync(path.join(dir, 'finetune', 'panel-task.json')), `results next to ${dir}`);
      const rows = results.filter((e) => e.checkpoint === dir);
      const tuned = rows.flatMap((e) => e.finetune).find((f) => f.task === 'panel-task');
      assert.ok(tuned && Number.isFinite(tuned.metrics.accuracy), `the panel got ${dir} with the task: ${JSON.stringify(rows.map((e) => e.finetune))}`);
    }
    await vscode.commands.executeCommand('notifications.clearAll');
  });
}

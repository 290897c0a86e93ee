import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { ElectraLabApi } from '../../../src/extension';
import type { FinetuneOutcome } from '../../../src/client/finetuning';
import { evaluateCheckpoint, type CheckpointEvaluation, type EvaluateParams, type RunEventParams } from '../../../src/protocol';
import { workspaceFile } from './workspace';

export function registerFinetuneTests(mocha: Mocha): void {
  const suite = Mocha.Suite.create(mocha.suite, 'ELECTRA Lab fine-tuning in a real VS Code');
  let api: ElectraLabApi;
  const add = (title: string, fn: () => Promise<void>) => suite.addTest(new Mocha.Test(title, fn));
  const checkpoint = () => workspaceFile(path.join('.electra', 'runs', 'e2e', 'checkpoints', 'step-40'));
  const task = (name: string) => workspaceFile(path.join('readme-source', name));

  add('Fine-tune Checkpoint is in the palette and on the Runs view\'s checkpoints', async () => {
    const extension = vscode.extensions.getExtension<ElectraLabApi>('electra-lab.electra-lab')!;
    api = await extension.activate();
    assert.ok((await vscode.commands.getCommands(true)).includes('electraLab.finetuneCheckpoint'));
    const menus = (extension.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus;
    assert.ok(menus['view/item/context'].some((m) => m.command === 'electraLab.finetuneCheckpoint' && /viewItem == electraCheckpoint/.test(m.when ?? '')));
    assert.ok(!menus.commandPalette.some((m) => m.command === 'electraLab.finetuneCheckpoint'), 'not hidden from the palette');
  });

  add('Fine-tune Checkpoint trains in the engine\'s child process, writes the results JSON, and reports its metric', async () => {
    const events: RunEventParams[] = [];
    const sub = api.engine.onRunEvent((e) => events.push(e));
    const outcome = await vscode.commands.executeCommand<FinetuneOutcome>('electraLab.finetuneCheckpoint', {
      checkpoint: checkpoint(), train: task('train.tsv'), dev: task('dev.tsv'), epochs: 1, batch: 8, seq: 32,
    });
    sub.dispose();
    assert.equal(outcome.failed, undefined, outcome.failed);
    assert.equal(outcome.runDir, path.join(checkpoint(), 'finetune', 'readme-source'), 'the model goes next to its results, in the checkpoint');
    assert.equal(outcome.results, path.join(checkpoint(), 'finetune', 'readme-source.json'));
    const results = JSON.parse(fs.readFileSync(outcome.results, 'utf8')) as { task: string; metrics: Record<string, number>; labels: string[] };
    assert.equal(results.task, 'readme-source');
    assert.deepEqual(results.labels, ['fast-glob', 'uplot']);
    assert.ok(Number.isFinite(results.metrics.accuracy) && Number.isFinite(results.metrics.mcc), JSON.stringify(results.metrics));
    assert.deepEqual(outcome.headline, { name: 'accuracy', value: results.metrics.accuracy });
    assert.ok(fs.existsSync(path.join(outcome.runDir, 'model.safetensors')), 'the fine-tuned model was saved');
    const mine = events.filter((e) => e.runDir === outcome.runDir);
    assert.ok(mine.some((e) => e.kind === 'step') && mine.some((e) => e.kind === 'metrics'), mine.map((e) => e.kind).join(', '));
    const done = mine.find((e) => e.kind === 'done');
    assert.ok(done?.kind === 'done' && done.results === outcome.results && !done.stopped);
    // What the evaluation panel shows next to the checkpoint (by method name: this bundle's copy of the protocol
    // library is not the extension's, and the client checks a request type's identity).
    const params: EvaluateParams = { checkpoint: checkpoint(), split: 'all', maxExamples: 8 };
    const evaluation = await api.engine.languageClient.sendRequest<CheckpointEvaluation>(evaluateCheckpoint.method, params);
    assert.deepEqual(evaluation.finetune.find((f) => f.task === 'readme-source')?.metrics.accuracy, results.metrics.accuracy);
    // …and what the Runs view shows under the checkpoint.
    const checkpointNode = (await api.runs.getChildren((await api.runs.getChildren()).find((r) => r.kind === 'run' && r.label === 'e2e'))).find((c) => c.kind === 'checkpoint' && c.dir === checkpoint());
    assert.ok(checkpointNode?.kind === 'checkpoint' && checkpointNode.finetuned === 1);
    const [taskNode] = await api.runs.getChildren(checkpointNode);
    assert.ok(taskNode?.kind === 'finetune' && taskNode.task === 'readme-source' && taskNode.file === outcome.results, JSON.stringify(taskNode));
    assert.equal(taskNode.description, `accuracy ${results.metrics.accuracy.toFixed(3)} (best epoch 1 of 1)`);
  });

  add('from a Runs-view checkpoint, the questions pick the files, the task kind and the columns from the header row', async () => {
    const node = (await api.runs.getChildren((await api.runs.getChildren()).find((r) => r.kind === 'run' && r.label === 'e2e'))).find((c) => c.kind === 'checkpoint' && c.dir === checkpoint());
    assert.ok(node, 'the e2e run\'s checkpoint is in the Runs view');
    // The command says which question it asks (api.onDidAsk); the quick pick shows a moment later, so an answer
    // typed too early is lost: type it again until the next question comes (or the command ends).
    const asked: string[] = [];
    const sub = api.onDidAsk((title) => asked.push(title));
    let ended = false;
    const outcome = vscode.commands.executeCommand<FinetuneOutcome>('electraLab.finetuneCheckpoint', node);
    void outcome.then(() => (ended = true), () => (ended = true));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const until = async (done: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(50);
      return done();
    };
    // Training file (dev.tsv, no-label.tsv, train.tsv, Another…): the third; dev file: the first, from the same folder;
    // kind: Classification; text column: "sentence" (then "label" is the only column left and is taken as the label);
    // settings: Start, with the defaults shown (src/client/finetune-settings.ts).
    const answers: [RegExp, number][] = [[/training file/, 2], [/dev file/, 0], [/labels hold/, 0], [/text column/, 0], [/fine-tuning settings/, 0]];
    for (const [n, [question, moves]] of answers.entries()) {
      assert.ok(await until(() => asked.length > n, 30_000), `question ${n + 1} asked (so far: ${asked.join(' | ')})`);
      assert.match(asked[n], question);
      let answered = false;
      for (let attempt = 0; attempt < 10 && !answered; attempt++) {
        await sleep(300);
        for (let i = 0; i < moves; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        // Answered: the next question, or (after the last) the run under way or over.
        answered = await until(() => asked.length > n + 1 || ended || api.engine.activeRuns().some((r) => r.startsWith(path.join(checkpoint(), 'finetune'))), 2_000);
      }
      assert.ok(answered, `question ${n + 1} (${asked[n]}) was answered`);
    }
    sub.dispose();
    const result = await outcome;
    assert.equal(result.failed, undefined, result.failed);
    assert.ok(result.headline && Number.isFinite(result.headline.value));
    const { options } = JSON.parse(fs.readFileSync(result.results!, 'utf8')) as { options: Record<string, unknown> };
    assert.deepEqual([options.train, options.dev, options.kind, options.textA, options.textB, options.label],
      [task('train.tsv'), task('dev.tsv'), 'classification', 'sentence', undefined, 'label']);
    assert.deepEqual([options.epochs, options.batchSize], [3, 32], 'the defaults the settings question offered');
  });

  add('a task file without a label column fails with one line naming the file', async () => {
    const outcome = await vscode.commands.executeCommand<FinetuneOutcome>('electraLab.finetuneCheckpoint', {
      checkpoint: checkpoint(), train: task('no-label.tsv'), dev: task('no-label.tsv'), epochs: 1,
    });
    assert.match(outcome.failed ?? '', /no-label\.tsv: cannot tell which column holds the label \(columns: "sentence", "source"\)/);
    assert.doesNotMatch(outcome.failed ?? '', /\n|\s+at /, 'no stack trace');
    await vscode.commands.executeCommand('notifications.clearAll'); // the panels' screenshots come next
  });
}

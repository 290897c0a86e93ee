import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { listRunFolders } from './run-folders';

/**
 * *ELECTRA: Export Run as Distributed Job*: `electra-lab export-job <run> --out <jobDir>` (dist/cli.js, run by
 * the extension host's Node) with a progress notification; the job's README says how to launch it.
 */
export async function exportRunAsJob(given?: unknown): Promise<string | undefined> {
  const dirOf = (v: unknown) => (typeof v === 'string' ? v : (v as { dir?: string } | undefined)?.dir);
  let runDir = dirOf(given);
  let out = (given as { out?: string } | undefined)?.out;
  if (!runDir) {
    const runs = await listRunFolders();
    if (runs.length === 0) {
      void vscode.window.showWarningMessage('ELECTRA: no runs to export — start a pretraining run first (ELECTRA: Start Pretraining)');
      return undefined;
    }
    runDir = (await vscode.window.showQuickPick(runs.map((r) => r.dir), { title: 'ELECTRA: the run to export as a PyTorch job' }));
    if (!runDir) return undefined;
  }
  out ??= (await vscode.window.showInputBox({ title: 'ELECTRA: job folder (new)', value: `${runDir}-job` }));
  if (!out) return undefined;
  const cli = path.join(__dirname, 'cli.js');
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ELECTRA: exporting the job…' }, () =>
    new Promise<{ ok: boolean; text: string }>((resolve) => {
      execFile(process.execPath, [cli, 'export-job', runDir!, '--out', out!, '--json'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 1 << 24 },
        (err, stdout, stderr) => resolve(err ? { ok: false, text: (stderr.trim().split('\n').pop() ?? String(err)) } : { ok: true, text: stdout }));
    }));
  if (!result.ok) {
    void vscode.window.showErrorMessage(`ELECTRA: export failed: ${result.text}`);
    return undefined;
  }
  const job = JSON.parse(result.text) as { jobDir: string; examples: number };
  const open = await vscode.window.showInformationMessage(`ELECTRA: job written to ${job.jobDir} (${job.examples} examples)`, 'Open README');
  if (open) await vscode.window.showTextDocument(vscode.Uri.file(path.join(job.jobDir, 'README.md')));
  return job.jobDir;
}

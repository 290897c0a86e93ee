import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** The runner prepares the workspace: doc.md, a trained checkpoint, and the CLI's `heatmap --json` of doc.md. */
export function workspaceFile(name: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration tests need the prepared workspace folder');
  return path.join(folder.uri.fsPath, name);
}

/** Asks the runner (outside the editor) to take a screenshot of the browser, and waits until it has. */
export async function screenshot(name: string): Promise<void> {
  if (process.env.ELECTRA_E2E_NO_SCREENSHOTS) return; // a runner that cannot take them (test-electron)
  const request = workspaceFile(`.screenshot-${name}.request`);
  fs.writeFileSync(request, name);
  const deadline = Date.now() + 30_000;
  while (fs.existsSync(request) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

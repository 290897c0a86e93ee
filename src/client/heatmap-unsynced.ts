import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';

/** VS Code hands no document to extensions for files this big: the heatmap never sees their text. */
const EDITOR_SYNC_LIMIT_BYTES = 50 * 1024 * 1024;

/**
 * Tabs the heatmap cannot see: VS Code shows a binary file or one over 50 MB as a text tab with no text
 * editor behind it (no TextDocument reaches extensions). Rather than leave the user wondering why nothing
 * is painted, says why — once per file.
 */
export class UnsyncedTabWatcher implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  private readonly seen = new Set<string>();

  constructor(private readonly isEnabled: () => boolean, private readonly notify: (uri: vscode.Uri, message: string) => void) {
    this.subscription = vscode.window.tabGroups.onDidChangeTabs(() => this.check());
  }

  private check(): void {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (!this.isEnabled() || !(input instanceof vscode.TabInputText) || input.uri.scheme !== 'file') return;
    const uri = input.uri;
    // The text editor of a tab that can be shown appears right after the tab: give it a moment.
    setTimeout(() => void this.explain(uri), 500);
  }

  private async explain(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    if (this.seen.has(key) || vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === key)) return;
    const reason = await whyUnsynced(uri.fsPath);
    if (!reason) return;
    this.seen.add(key);
    this.notify(uri, reason);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

async function whyUnsynced(file: string): Promise<string | undefined> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > EDITOR_SYNC_LIMIT_BYTES) {
      return `the file is ${(size / 1024 / 1024).toFixed(0)} MB; VS Code gives extensions no text over 50 MB, so there is no heatmap — score a part of it with the CLI (electra-lab heatmap)`;
    }
    const head = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (head.subarray(0, bytesRead).includes(0)) return 'the file looks binary; the heatmap scores text only';
    return undefined;
  } finally {
    await handle.close();
  }
}

import * as vscode from 'vscode';

const asking = new vscode.EventEmitter<string>();

/** A question's title as it is put to the user: the integration tests answer the quick picks by keyboard and
 *  need to know which one is open (VS Code's API does not say). */
export const onDidAsk = asking.event;

/** showQuickPick, announced by its title. */
export function pick<T extends vscode.QuickPickItem>(items: readonly T[], title: string): Thenable<T | undefined> {
  asking.fire(title);
  return vscode.window.showQuickPick(items, { title });
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Puts `electra-lab` on the PATH of the integrated terminals (VS Code's environment variable collection), so
 * the walkthrough's and the empty states' commands work after a VSIX install, where no npm bin exists. The shim
 * runs the bundled dist/cli.js with the editor's own runtime (Electron as Node), since `node` may not be
 * installed; it lives in the extension's global storage, rewritten at each activation (the install path moves
 * with every update). Returns the shim's folder.
 */
export async function putCliOnTerminalPath(context: vscode.ExtensionContext): Promise<string> {
  const bin = path.join(context.globalStorageUri.fsPath, 'bin');
  await fs.mkdir(bin, { recursive: true });
  const cli = path.join(context.extensionPath, 'dist', 'cli.js');
  const runtime = process.execPath;
  if (process.platform === 'win32') {
    await writeIfChanged(path.join(bin, 'electra-lab.cmd'), `@echo off\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${runtime}" "${cli}" %*\r\n`);
  } else {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const shim = path.join(bin, 'electra-lab');
    await writeIfChanged(shim, `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec ${quote(runtime)} ${quote(cli)} "$@"\n`);
    await fs.chmod(shim, 0o755);
  }
  const env = context.environmentVariableCollection;
  env.description = 'Puts the electra-lab command line on PATH';
  env.prepend('PATH', bin + path.delimiter);
  return bin;
}

async function writeIfChanged(file: string, text: string): Promise<void> {
  if ((await fs.readFile(file, 'utf8').catch(() => undefined)) === text) return;
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

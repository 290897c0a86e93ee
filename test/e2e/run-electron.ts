/**
 * The same integration suite through @vscode/test-electron, for machines that can download VS Code (a
 * laptop, a public CI). Here VS Code cannot be downloaded; run-code-server.ts is the runner CI uses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareWorkspace } from './prepare-workspace';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-lab-e2e-'));
  prepareWorkspace(ROOT, workspace);
  await runTests({
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'dist', 'test', 'e2e', 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: { ELECTRA_E2E_NO_SCREENSHOTS: '1' },
  });
}

main().catch((e) => {
  console.error(`e2e (test-electron): ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

/**
 * The integration suite's entry, loaded by VS Code's extension host (extensionTestsPath): runs the mocha
 * tests below inside the real editor with the real extension and engine.
 */
import Mocha from 'mocha';
import { registerExtensionTests } from './extension.test';
import { registerFinetuneTests } from './finetune.test';
import { registerPanelTests } from './panels.test';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 180_000, color: false });
  registerExtensionTests(mocha);
  registerFinetuneTests(mocha);
  registerPanelTests(mocha);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`e2e: ${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}

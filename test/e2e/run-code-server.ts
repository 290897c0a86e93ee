/**
 * Runs the integration suite in a real VS Code here: code-server 4.100.3 (VS Code 1.100.3 with a Node
 * extension host) driven by Debian's chromium through playwright-core. Machines that can download VS Code
 * use test/e2e/run-electron.ts (@vscode/test-electron) with the same suite. See shared notes/vscode-e2e.md.
 * Saves screenshots in artifacts/. Exit code = the suite's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { prepareWorkspace } from './prepare-workspace';

const ROOT = path.resolve(__dirname, '..', '..');
const CODE_SERVER = path.join(ROOT, '.e2e', 'code-server', 'node_modules', '.bin', 'code-server');
const ARTIFACTS = path.join(ROOT, 'artifacts');
const SUITE_TIMEOUT_MS = 10 * 60_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHealth(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('code-server did not become healthy within 60 s');
}

async function main(): Promise<number> {
  if (!fs.existsSync(CODE_SERVER)) {
    const install = spawnSync('bash', [path.join(ROOT, 'test', 'e2e', 'install-code-server.sh')], { stdio: 'inherit' });
    if (install.status !== 0) throw new Error('installing code-server failed (test/e2e/install-code-server.sh)');
  }
  for (const f of ['extension.js', 'server.js', 'cli.js', path.join('test', 'e2e', 'suite', 'index.js')]) {
    if (!fs.existsSync(path.join(ROOT, 'dist', f))) throw new Error(`dist/${f} is missing — run npm run build first`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-lab-e2e-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  console.log(`e2e: preparing the workspace in ${workspace}`);
  prepareWorkspace(ROOT, workspace);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  const port = await freePort();
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), XDG_CACHE_HOME: path.join(home, '.cache') };
  const server: ChildProcess = spawn(CODE_SERVER, ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--ignore-last-opened', '--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', path.join(tmp, 'extensions')],
  { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const serverLog = fs.createWriteStream(path.join(ARTIFACTS, 'code-server.log'));
  server.stdout!.pipe(serverLog);
  server.stderr!.pipe(serverLog);
  const browser = await (async () => {
    await waitForHealth(port);
    return chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      headless: true,
    });
  })();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let finish!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => console.log(...(Array.isArray(args) ? args : [args])));
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(code));
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(ROOT, 'dist', 'test', 'e2e', 'suite', 'index.js'))],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);

    // The suite asks for screenshots by writing .screenshot-<name>.request into the workspace.
    let capturing = false;
    const screenshots = setInterval(async () => {
      if (capturing) return;
      capturing = true;
      for (const f of fs.readdirSync(workspace).filter((n) => n.startsWith('.screenshot-') && n.endsWith('.request'))) {
        const name = f.slice('.screenshot-'.length, -'.request'.length);
        await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch((e) => console.log(`screenshot failed: ${e}`));
        fs.rmSync(path.join(workspace, f), { force: true });
        console.log(`e2e: saved artifacts/${name}.png`);
      }
      capturing = false;
    }, 250);
    const timeout = new Promise<number>((resolve) => setTimeout(() => {
      console.log(`e2e: the suite did not finish within ${SUITE_TIMEOUT_MS / 60000} minutes`);
      resolve(1);
    }, SUITE_TIMEOUT_MS));
    const code = await Promise.race([exitCode, timeout]);
    clearInterval(screenshots);
    await page.screenshot({ path: path.join(ARTIFACTS, 'final.png') }).catch(() => undefined);
    return code;
  } finally {
    await browser.close().catch(() => undefined);
    server.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(`e2e: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

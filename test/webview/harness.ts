/**
 * Loads a panel's page in real headless Chromium the way VS Code does: the HTML from panelHtml (same
 * CSP), the bundle from dist/webview, a stand-in acquireVsCodeApi that records what the page posts and
 * keeps its state across reloads (as VS Code does for a webview), the theme's CSS variables and body
 * class, and messages delivered with window.postMessage.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { newNonce, panelHtml } from '../../src/client/panels/html';
import { THEMES, type ThemeName } from './themes';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'artifacts');
export type PageName = 'lab' | 'runs' | 'eval';
const TITLES: Record<PageName, string> = { lab: 'ELECTRA Lab', runs: 'ELECTRA Runs', eval: 'ELECTRA Evaluate Checkpoints' };

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as T;
}

export interface Harness {
  browser: Browser;
  origin: string;
  open(page: PageName, options?: { theme?: ThemeName; width?: number; height?: number }): Promise<PanelPage>;
  close(): Promise<void>;
}
export interface PanelPage {
  page: Page;
  send(message: unknown): Promise<void>;
  posted(): Promise<Array<Record<string, unknown>>>;
  clearPosted(): Promise<void>;
  /** Content Security Policy violations and uncaught errors so far. */
  problems(): Promise<string[]>;
  reload(): Promise<void>;
  screenshot(name: string): Promise<string>;
}

/**
 * What runs in the page before its own script. A string, not a function: the test runner's transpiler
 * adds helpers to functions that would not exist inside the page.
 */
function standInScript(vars: Record<string, string>, bodyClass: string): string {
  return `(() => {
  const posted = [];
  const csp = [];
  window.__posted = posted;
  window.__csp = csp;
  document.addEventListener('securitypolicyviolation', (e) => csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      // Messages cross as JSON in VS Code; a copy keeps the page from changing what was recorded.
      postMessage: (m) => { posted.push(JSON.parse(JSON.stringify(m))); },
      getState: () => { const s = sessionStorage.getItem('vscode-state'); return s === null ? undefined : JSON.parse(s); },
      setState: (s) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); },
    };
  };
  // VS Code puts the theme on <html> (variables) and <body> (kind class) before the page's script runs.
  const vars = ${JSON.stringify(vars)};
  const apply = () => {
    if (document.documentElement) for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    if (!document.body) return false;
    document.body.classList.add(${JSON.stringify(bodyClass)});
    document.body.setAttribute('data-vscode-theme-kind', ${JSON.stringify(bodyClass)});
    return true;
  };
  if (!apply()) {
    const watch = new MutationObserver(() => { if (apply()) watch.disconnect(); });
    watch.observe(document, { childList: true, subtree: true });
  }
})();`;
}

export async function startHarness(): Promise<Harness> {
  for (const p of ['lab', 'runs', 'eval']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'webview', `${p}.js`))) throw new Error(`dist/webview/${p}.js is missing — run node esbuild.js first`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const pageMatch = /^\/page\/(lab|runs|eval)$/.exec(url.pathname);
    if (pageMatch) {
      const name = pageMatch[1] as PageName;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(panelHtml({ title: TITLES[name], scriptUri: `${origin}/dist/webview/${name}.js`, styleUris: [`${origin}/dist/webview/${name}.css`], cspSource: origin, nonce: newNonce() }));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = path.join(ROOT, path.normalize(url.pathname));
    if (!url.pathname.startsWith('/dist/webview/') || !file.startsWith(path.join(ROOT, 'dist', 'webview')) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  return {
    browser,
    origin,
    async open(name, options = {}) {
      const theme = THEMES[options.theme ?? 'dark'];
      const context = await browser.newContext({ viewport: { width: options.width ?? 1200, height: options.height ?? 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.addInitScript(standInScript(theme.vars, theme.bodyClass));
      const url = `${origin}/page/${name}`;
      await page.goto(url);
      await page.waitForFunction(() => ((window as unknown as { __posted: unknown[] }).__posted ?? []).length > 0);
      const panel: PanelPage = {
        page,
        send: async (m) => {
          await page.evaluate((msg) => window.postMessage(msg, '*'), m);
          // Messages are delivered as tasks; let the page handle this one and lay out.
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
        },
        posted: () => page.evaluate(() => (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted),
        clearPosted: () => page.evaluate(() => void ((window as unknown as { __posted: unknown[] }).__posted.length = 0)),
        problems: async () => [...errors, ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))],
        reload: async () => {
          await page.reload();
          await page.waitForFunction(() => ((window as unknown as { __posted: unknown[] }).__posted ?? []).length > 0);
        },
        screenshot: async (file) => {
          const out = path.join(ARTIFACTS, file);
          await page.screenshot({ path: out, fullPage: true });
          return out;
        },
      };
      return panel;
    },
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir } from './helpers';

/**
 * vsce as `npm run package` runs it: fetched by npx from the npm registry, not a devDependency — its ~250 packages
 * would land in node_modules, whose Markdown docs are the real-text corpus of the demo and of the learning tests.
 */
const vsce = (...args: string[]) => spawnSync('npx', ['--yes', '@vscode/vsce@3.9.2', ...args], { cwd: ROOT, encoding: 'utf8', input: '', timeout: 300_000 });

/** `npm run package` as a user runs it to install the extension (after `npm run build`, as npm test does). */
test('the extension packages into a VSIX holding the bundles, the wasm binaries, the pages and media — and no sources or tests', () => {
  const vsix = path.join(tempDir('vsix'), 'electra-lab.vsix');
  const packed = vsce('package', '--allow-missing-repository', '--readme-path', 'media/README.md', '--no-rewrite-relative-links', '-o', vsix);
  assert.equal(packed.status, 0, `vsce package failed (the manifest is checked here, e.g. engines.vscode against @types/vscode): ${packed.stderr}${packed.stdout}`);
  assert.ok(fs.statSync(vsix).size > 500_000);
  // What is inside the VSIX itself (vsce ls lists the repository's files, before --readme-path applies).
  const unpacked = tempDir('vsix-unpacked');
  const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', vsix, unpacked], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, unzip.stderr);
  const files = (fs.readdirSync(path.join(unpacked, 'extension'), { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(unpacked, 'extension', f)).isFile()).map((f) => f.split(path.sep).join('/'));
  for (const needed of ['package.json', 'readme.md', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/tfjs-backend-wasm-simd.wasm',
    'dist/tfjs-backend-wasm-threaded-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.js', 'dist/webview/lab.js', 'dist/webview/eval.css', 'media/electra-lab.svg', 'media/walkthrough/heatmap.md']) {
    assert.ok(files.includes(needed), `${needed} is in the VSIX`);
  }
  // The native tier's prebuilt linux-x64 addon with the libraries its rpath ($ORIGIN) resolves.
  for (const needed of ['dist/native/electra_native.node', 'dist/native/libdnnl.so.2', 'dist/native/libgomp.so.1']) {
    assert.ok(files.includes(needed), `${needed} is in the VSIX`);
  }
  const stray = files.filter((f) => /^(src|test|webview|bench|node_modules|dist\/test|\.e2e|artifacts)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
  assert.deepEqual(stray, [], 'sources, tests and maps stay out');
  assert.ok(!files.some((f) => f.startsWith('native/')), 'the addon sources and node-gyp output stay out');

  // Unpacked as VS Code installs it, away from the repository: the bundled CLI finds and loads the addon (below).
  // What a user sees on the extension's page: the user README (not this repository's developer one), whose
  // screenshots are in the package, the changelog, the licence and the icon.
  const readme = fs.readFileSync(path.join(unpacked, 'extension', 'readme.md'), 'utf8');
  assert.match(readme, /^# ELECTRA Lab/);
  assert.match(readme, /## Privacy\n\nNothing leaves your machine/);
  assert.doesNotMatch(readme, /npm ci|npm test/, 'no developer commands');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(images.length >= 3, `${images.length} screenshots`);
  for (const image of images) assert.ok(fs.existsSync(path.join(unpacked, 'extension', image)), `${image} is in the VSIX`);
  for (const file of ['changelog.md', 'LICENSE.txt', 'media/icon.png']) assert.ok(fs.existsSync(path.join(unpacked, 'extension', file)), `${file} is in the VSIX`);
  const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'extension', 'package.json'), 'utf8'));
  assert.equal(manifest.icon, 'media/icon.png');

  const doctor = spawnSync(process.execPath, [path.join(unpacked, 'extension', 'dist', 'cli.js'), 'doctor', '--json'], { cwd: unpacked, encoding: 'utf8', timeout: 60_000 });
  assert.equal(doctor.status, 0, doctor.stderr);
  const report = JSON.parse(doctor.stdout);
  assert.equal(report.tier, 'native', report.summary);
  assert.equal(report.native.file, path.join(unpacked, 'extension', 'dist', 'native', 'electra_native.node'));
});

// Bundles the engine's entry points and ships the tfjs wasm binaries next to them: the wasm backend
// loads `*.wasm` from the bundle's own folder at run time (see src/engine/backend/), and the native kernel
// addon with its libraries from dist/native/ (native/build.js).
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const { buildNative } = require('./native/build');

const dist = path.join(__dirname, 'dist');
const production = process.argv.includes('--production');

/** Packages resolved at run time, not bundled: the native TensorFlow tiers are optional installs. */
const external = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'vscode'];

function copyWasmBinaries() {
  const wasmDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const name of fs.readdirSync(wasmDist)) {
    if (name.endsWith('.wasm')) fs.copyFileSync(path.join(wasmDist, name), path.join(dist, name));
  }
  // The threaded build's worker re-reads this start-up script; a minified bundle no longer contains it
  // readably, so ship it as is (src/engine/backend/wasm-threads.ts looks for it next to the bundle).
  const threadedStartup = path.join(wasmDist, '..', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  fs.copyFileSync(threadedStartup, path.join(dist, path.basename(threadedStartup)));
}

async function main() {
  fs.mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints: { cli: 'src/cli.ts', server: 'src/engine/server.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir: dist,
    external,
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    // tfjs packages list their kernel-registering modules as side-effect free; keep those imports.
    ignoreAnnotations: true,
    banner: { js: '#!/usr/bin/env node' },
  });
  fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
  // The extension host side: vscode is provided by the host; tfjs never enters this bundle.
  await esbuild.build({
    entryPoints: { extension: 'src/extension.ts', 'test/e2e/suite/index': 'test/e2e/suite/index.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir: dist,
    external: ['vscode', 'mocha'],
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  });
  // The webview pages: browser bundles, one script and one stylesheet each (imported CSS, uPlot's
  // included), loaded by src/client/panels/html.ts under a CSP that allows nothing else.
  await esbuild.build({
    entryPoints: { lab: 'webview/lab/main.ts', runs: 'webview/runs/main.ts', eval: 'webview/eval/main.ts' },
    bundle: true,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    outdir: path.join(dist, 'webview'),
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  });
  copyWasmBinaries();
  const nativeProblem = buildNative(dist, { strict: process.env.ELECTRA_NATIVE_REQUIRED === '1' });
  if (nativeProblem) console.warn(nativeProblem);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});

// Builds the native kernel addon (native/src, Node-API C over oneDNN) with node-gyp, offline, and copies it
// with the shared libraries it needs into dist/native/ (what the bundles and the VSIX load; the binary's
// rpath is $ORIGIN). Optional: without a compiler or libdnnl-dev it says why in one line and the engine
// runs on wasm. `--strict` makes a failure an error (CI, where the build dependencies are installed).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const NATIVE = __dirname;
const ADDON = path.join(NATIVE, 'build', 'Release', 'electra_native.node');
const INPUTS = [path.join(NATIVE, 'binding.gyp'), ...fs.readdirSync(path.join(NATIVE, 'src')).map((f) => path.join(NATIVE, 'src', f))];
/** Libraries copied beside the addon: oneDNN and what it needs that a desktop Linux may lack. */
const BUNDLED = /^(libdnnl|libgomp|libOpenCL)\.so/;

function nodeGyp() {
  // npm ships node-gyp; this finds it beside the npm that runs us (or on PATH).
  const npmDir = process.env.npm_execpath ? path.dirname(path.dirname(process.env.npm_execpath)) : '';
  const candidates = [
    path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((f) => fs.existsSync(f));
}

function upToDate() {
  if (!fs.existsSync(ADDON)) return false;
  const built = fs.statSync(ADDON).mtimeMs;
  return INPUTS.every((f) => fs.statSync(f).mtimeMs <= built);
}

function compile() {
  const gyp = nodeGyp();
  if (!gyp) throw new Error('node-gyp not found (it comes with npm)');
  const args = [gyp, 'rebuild', '--loglevel=error'];
  // Debian's nodejs installs its headers in /usr/include/node: build against them instead of downloading.
  if (fs.existsSync(path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${path.resolve(path.dirname(process.execPath), '..')}`);
  }
  if (process.env.ELECTRA_NATIVE_BLAS) args.push('--', `-Dblas=${process.env.ELECTRA_NATIVE_BLAS}`);
  execFileSync(process.execPath, args, { cwd: NATIVE, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The shared libraries the addon resolves, from ldd. */
function linkedLibraries(file) {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.match(/^\s*(\S+) => (\/\S+)/)).filter(Boolean).map((m) => ({ name: m[1], file: m[2] }));
}

function copyToDist(dist) {
  const target = path.join(dist, 'native');
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(ADDON, path.join(target, 'electra_native.node'));
  for (const lib of linkedLibraries(ADDON)) {
    if (!BUNDLED.test(lib.name) || path.dirname(lib.file) === target) continue;
    const dest = path.join(target, lib.name);
    if (!fs.existsSync(dest) || fs.statSync(dest).size !== fs.statSync(lib.file).size) fs.copyFileSync(lib.file, dest);
  }
}

/** Returns a one-line reason when the addon could not be built, else undefined. */
function buildNative(dist, { strict = false } = {}) {
  try {
    if (!upToDate()) compile();
    if (dist) copyToDist(dist);
    return undefined;
  } catch (e) {
    const detail = String(e.stderr || e.message).split('\n').find((l) => /error|not found|No such/i.test(l)) || String(e.message).split('\n')[0];
    const reason = `native kernels not built (${detail.trim()}); the engine will run on wasm. ` +
      'For native speed: apt-get install g++ make libdnnl-dev, then npm run build.';
    if (strict) throw new Error(reason);
    return reason;
  }
}

module.exports = { buildNative };

if (require.main === module) {
  const reason = buildNative(path.join(NATIVE, '..', 'dist'), { strict: process.argv.includes('--strict') });
  console.log(reason ?? `native kernels built: ${path.relative(process.cwd(), ADDON)}`);
}

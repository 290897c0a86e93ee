import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const SRC = path.join(ROOT, 'src');
const read = (f: string) => fs.readFileSync(f, 'utf8');
const rel = (f: string) => path.relative(ROOT, f);

test('the engine never imports vscode; the extension host never imports tfjs', () => {
  for (const f of sources(path.join(SRC, 'engine'))) assert.doesNotMatch(read(f), /from ['"]vscode['"]/, `${rel(f)} imports vscode`);
  for (const f of [...sources(path.join(SRC, 'client')), path.join(SRC, 'extension.ts')]) {
    assert.doesNotMatch(read(f), /@tensorflow\//, `${rel(f)} imports tfjs`);
    assert.doesNotMatch(read(f), /from ['"]\.\.\/engine\//, `${rel(f)} reaches into the engine instead of the protocol`);
  }
});

test('custom method names are defined in src/protocol.ts only', () => {
  const protocol = path.join(SRC, 'protocol.ts');
  for (const f of sources(SRC).filter((f) => f !== protocol)) {
    assert.doesNotMatch(read(f), /['"`]electra\/[a-zA-Z]/, `${rel(f)} spells a protocol method name`);
  }
  assert.match(read(protocol), /'electra\/heatmapScores'/);
});

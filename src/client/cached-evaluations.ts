import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CheckpointEvaluation } from '../protocol';
import { parseRunsToWebview } from '../protocol-guards';

/** Where the engine caches a checkpoint's evaluations (src/engine/service/evaluations.ts, EVAL_DIR). */
const EVAL_DIR = 'eval';

/** The run's checkpoint folders (`checkpoints/step-N`). Not run-folders.ts's: that one needs vscode, this file is
 *  tested without it. */
async function checkpointsOf(runDir: string): Promise<{ dir: string; step: number }[]> {
  const names = await fs.readdir(path.join(runDir, 'checkpoints')).catch(() => [] as string[]);
  return names.filter((n) => /^step-\d+$/.test(n)).map((n) => ({ dir: path.join(runDir, 'checkpoints', n), step: Number(n.slice(5)) }));
}

/**
 * The evaluations cached next to a run's checkpoints, one per checkpoint: the newest held-out one (the split
 * pretraining never trained on), else the newest of any split. Read from disk, not asked of the engine, so the
 * dashboard shows what the evaluation panel or `electra-lab eval` found without evaluating anything again.
 * Files are checked with the same guard as the message that carries them: a damaged one is skipped.
 */
export async function cachedEvaluationsOf(runDir: string): Promise<CheckpointEvaluation[]> {
  const out: CheckpointEvaluation[] = [];
  for (const c of await checkpointsOf(runDir)) {
    const dir = path.join(c.dir, EVAL_DIR);
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => /^pretraining-[0-9a-f]+\.json$/.test(n));
    const found: CheckpointEvaluation[] = [];
    for (const name of names) {
      const e = await readEvaluation(path.join(dir, name));
      if (e) found.push(e);
    }
    const rank = (e: CheckpointEvaluation) => (e.split === 'heldout' ? 1 : 0);
    found.sort((a, b) => rank(b) - rank(a) || b.evaluatedAt.localeCompare(a.evaluatedAt));
    if (found[0]) out.push({ ...found[0], checkpoint: c.dir, step: found[0].step || c.step, cached: true });
  }
  return out.sort((a, b) => a.step - b.step);
}

async function readEvaluation(file: string): Promise<CheckpointEvaluation | undefined> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    // The cache file also holds the key it was made with; the message carries the evaluation only.
    const { key: _key, ...evaluation } = raw;
    const parsed = parseRunsToWebview({ type: 'evaluations', runDir: '', evaluations: [{ finetune: [], ...evaluation }] });
    return parsed?.type === 'evaluations' ? parsed.evaluations[0] : undefined;
  } catch {
    return undefined;
  }
}

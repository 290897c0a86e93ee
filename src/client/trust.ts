/**
 * What the extension lets the engine and its webviews touch, as pure functions (no `vscode`, so unit tests run
 * them): the engine's allowed roots, the runs a page may name, the corpus a page may send, and which commands
 * VS Code's workspace trust holds back.
 */
import * as path from 'node:path';
import type { AllowedRoots } from '../protocol';

export interface RootFacts {
  workspaceFolders: string[];
  /** The runs directory (electraLab.runsDirectory), which may lie outside the workspace. */
  runsRoot?: string;
  /** Paths the user picked in a file dialog this session. */
  picked: string[];
  /** electraLab.heatmap.checkpoint (the user's own setting: in an untrusted workspace VS Code ignores the workspace's). */
  heatmapCheckpoint?: string;
  trusted: boolean;
}

/** Trusted: the workspace, the runs folder, dialog picks and the configured checkpoint. Untrusted: the workspace only. */
export function allowedRootsFor(facts: RootFacts): AllowedRoots {
  const roots = [...facts.workspaceFolders];
  if (facts.trusted) {
    if (facts.runsRoot) roots.push(facts.runsRoot);
    roots.push(...facts.picked);
    if (facts.heatmapCheckpoint) roots.push(facts.heatmapCheckpoint);
  }
  return { roots: [...new Set(roots.map((r) => path.resolve(r)))], trusted: facts.trusted };
}

export function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A run folder a page named: one of the runs the host listed, or the reason it is refused (one line). */
export function checkRunDir(runDir: string, knownRuns: readonly string[]): { dir: string } | { refused: string } {
  const dir = path.resolve(runDir);
  if (knownRuns.some((r) => path.resolve(r) === dir)) return { dir };
  return { refused: `${runDir} is not one of this workspace's runs — pick a run the panel lists` };
}

/**
 * A corpus a page sent: absolute files, folders or globs inside the allowed roots, without `..` (which after a
 * symlink would leave them); else the one-line reason. The engine checks again with symlinks resolved.
 */
export function checkCorpus(corpus: readonly string[], roots: readonly string[]): { refused: string } | undefined {
  for (const entry of corpus) {
    if (!path.isAbsolute(entry) || entry.split(/[\\/]/).includes('..')) {
      return { refused: `corpus ${entry}: give an absolute path or glob inside the workspace, without ".."` };
    }
    const parts = path.normalize(entry).split(path.sep);
    const firstGlob = parts.findIndex((s) => /[*?[\]{}()!]/.test(s));
    const fixed = firstGlob < 0 ? entry : parts.slice(0, firstGlob).join(path.sep) || path.sep;
    if (!roots.some((root) => isInside(path.resolve(fixed), path.resolve(root)))) {
      return { refused: `corpus ${entry} is outside the workspace and the runs folder — choose text inside the workspace` };
    }
  }
  return undefined;
}

/** Commands that train (write runs, run for hours, read a corpus anywhere): not in an untrusted workspace. */
export const TRAINING_COMMANDS: ReadonlySet<string> = new Set([
  'electraLab.startPretraining', 'electraLab.resumeRun', 'electraLab.resumeRunFromTree', 'electraLab.finetuneCheckpoint',
]);

/** Why a command may not run in this workspace, or undefined when it may. */
export function trustRefusal(command: string, trusted: boolean): string | undefined {
  if (trusted || !TRAINING_COMMANDS.has(command)) return undefined;
  return 'ELECTRA: training is disabled in an untrusted workspace — trust the workspace (Manage Workspace Trust) to pretrain or fine-tune.';
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../errors';

/**
 * What the engine may read and write: the folders its client named (workspace folders, the runs folder, paths the
 * user picked in a dialog). A client or a webview behind it is not trusted to name any path on the machine, so
 * every path in a request is resolved (symlinks and `..` included) and must fall inside one of them. Until a
 * client names its roots, nothing is allowed.
 */
export class AllowedPaths {
  private roots: string[] = [];
  private trusted = false;

  async set(roots: readonly string[], trusted: boolean): Promise<void> {
    this.roots = await Promise.all(roots.map((r) => realPath(path.resolve(r))));
    this.trusted = trusted;
  }

  /** Training writes and runs code-like work for hours: only in a workspace the user trusts. */
  ensureTrusted(what: string): void {
    if (!this.trusted) throw new UserError(`${what} is disabled in an untrusted workspace — trust the workspace (Manage Workspace Trust) to train`);
  }

  /** The resolved path when it lies inside an allowed root; else a one-line refusal naming it (never its content). */
  async ensure(p: string, what: string): Promise<string> {
    if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || p.includes('\0')) throw new UserError(`${what}: not a usable path`);
    // `..` after a symlink means its target's parent to the system but not to path.resolve: refuse it outright.
    if (p.split(/[\\/]/).includes('..')) throw new UserError(`${what} ${p} contains ".." — give the path without it`);
    const real = await realPath(path.resolve(p));
    if (this.roots.some((root) => isInside(real, root))) return real;
    throw new UserError(`${what} ${p} is outside the folders the engine may read (the workspace folders, the runs folder, `
      + 'paths chosen in a dialog) — open its folder in the workspace or choose it through a dialog');
  }

  /** A corpus entry may be a glob: its fixed leading folders must be allowed (matches below them then are). */
  async ensureCorpus(entry: string, what: string): Promise<void> {
    if (typeof entry !== 'string' || entry.split(/[\\/]/).includes('..')) {
      throw new UserError(`${what}: not a usable corpus path (a file, a folder or a glob, without "..")`);
    }
    const normal = path.resolve(entry);
    const parts = normal.split(path.sep);
    const firstGlob = parts.findIndex((s) => /[*?[\]{}()!]/.test(s));
    const fixed = firstGlob < 0 ? normal : parts.slice(0, firstGlob).join(path.sep) || path.sep;
    await this.ensure(fixed, what);
  }
}

export function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** realpath of the longest existing prefix, the rest appended: a path yet to be written resolves too. */
async function realPath(p: string): Promise<string> {
  let head = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(head), ...rest.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return p;
      rest.push(path.basename(head));
      head = parent;
    }
  }
}

import type { CharRange, HeatmapParams } from '../../protocol';

/**
 * Quiet time after an edit before the engine scores it ahead of the editor's request: well inside the editor's
 * debounce (300 ms by default), so the edited chunk's window and its neighbours' (~100 ms each for ELECTRA-Small
 * here) are mostly done when it asks; typing faster than a key every 50 ms starts nothing, and slower typing at
 * most one window per key (each new version stops the run between windows).
 */
export const SCORE_AHEAD_QUIET_MS = 50;

/** The editor says when it hides its heatmap (heatmapHidden); this is for when it cannot (it crashed): edits this
 *  long after its last request are left alone. */
const EXPIRES_MS = 60_000;
const MAX_REMEMBERED_CHARS = 2_000_000;

interface Asked {
  checkpoint: string;
  range?: CharRange;
  /** The text the range was asked on: an edit moves the range with the text after it. */
  text: string;
  version: number;
  at: number;
}

/** What the editor last asked for each document: after an edit it will ask the same again, so that is what runs ahead. */
export class AskedRanges {
  private readonly asked = new Map<string, Asked>();

  remember(params: HeatmapParams, text: string): void {
    // The text is kept to move the range with the next edit: past a few MB that memory outweighs a head start.
    if (text.length > MAX_REMEMBERED_CHARS) this.asked.delete(params.uri);
    else this.asked.set(params.uri, { checkpoint: params.checkpoint, range: params.range, text, version: params.version, at: Date.now() });
  }

  clear(): void {
    this.asked.clear();
  }

  /** The request to run ahead for a new version of the document; undefined when the editor asked for it already or has stopped asking. */
  next(uri: string, version: number, text: string): Pick<HeatmapParams, 'checkpoint' | 'range'> | undefined {
    const asked = this.asked.get(uri);
    if (!asked || asked.version === version || Date.now() - asked.at > EXPIRES_MS) return undefined;
    return { checkpoint: asked.checkpoint, range: asked.range && shiftRange(asked.range, asked.text, text) };
  }

  forget(uri: string): void {
    this.asked.delete(uri);
  }
}

/**
 * A range of `before` as the same text in `after`: offsets past the first difference move by the change in
 * length. Exact for one edit (typing, a paste, a deletion); for several it still covers the text around them.
 */
export function shiftRange(range: CharRange, before: string, after: string): CharRange {
  const delta = after.length - before.length;
  const limit = Math.min(before.length, after.length);
  let same = 0;
  while (same < limit && before.charCodeAt(same) === after.charCodeAt(same)) same++;
  const move = (offset: number) => (offset <= same ? offset : Math.max(same, offset + delta));
  return { start: Math.min(after.length, move(range.start)), end: Math.min(after.length, move(range.end)) };
}

/**
 * Discriminator logits keyed by the checkpoint and an exact token-id sequence. The heatmap keeps two: one
 * by window (a window whose tokens did not change is never run through the model again, whatever document
 * or version it came from) and one by chunk (a chunk's last exact scores, shown while its window runs
 * again). Least recently used entries go first once `capacity` is reached (a window of 128 costs ~1 KB
 * here: ids + logits).
 */
export class LogitsCache {
  private readonly entries = new Map<string, { ids: Int32Array; logits: Float32Array }[]>();
  private count = 0;

  constructor(readonly capacity = 20_000) {}

  get size(): number {
    return this.count;
  }

  get(model: string, ids: Int32Array): Float32Array | undefined {
    const key = keyOf(model, ids);
    const bucket = this.entries.get(key);
    const entry = bucket?.find((e) => sameIds(e.ids, ids));
    if (!entry) return undefined;
    this.entries.delete(key); // most recently used last
    this.entries.set(key, bucket!);
    return entry.logits;
  }

  /** Stores (or replaces: a chunk's scores change with its context) the logits of `ids`. */
  set(model: string, ids: Int32Array, logits: Float32Array): void {
    const key = keyOf(model, ids);
    const bucket = this.entries.get(key) ?? [];
    const known = bucket.find((e) => sameIds(e.ids, ids));
    if (known) {
      known.logits = logits;
      this.entries.delete(key);
      this.entries.set(key, bucket);
      return;
    }
    bucket.push({ ids, logits });
    this.entries.delete(key);
    this.entries.set(key, bucket);
    this.count++;
    while (this.count > this.capacity) {
      const [oldest, entries] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.count -= entries.length;
    }
  }

  /** Drops a checkpoint's entries (its weights changed on disk or it was unloaded). */
  forget(model: string): void {
    for (const [key, bucket] of this.entries) {
      if (key.startsWith(`${model}\n`)) {
        this.entries.delete(key);
        this.count -= bucket.length;
      }
    }
  }
}

/** Two 32-bit hashes of the ids; the ids themselves are compared on a hit, so a collision is harmless. */
function keyOf(model: string, ids: Int32Array): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < ids.length; i++) {
    a = Math.imul(a ^ ids[i], 0x01000193);
    b = Math.imul(b ^ ids[i], 0x5bd1e995) ^ (b >>> 15);
  }
  return `${model}\n${ids.length}:${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`;
}

function sameIds(x: Int32Array, y: Int32Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

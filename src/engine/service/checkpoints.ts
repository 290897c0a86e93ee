import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { loadCheckpoint, type LoadedCheckpoint } from '../checkpoint/model-io';

/**
 * Keeps the most recently used checkpoints loaded, so each heatmap request does not re-read weights.
 * A folder rewritten on disk (its model.safetensors changed) is loaded again.
 */
export class CheckpointCache {
  private readonly loaded = new Map<string, { stamp: number; checkpoint: Promise<LoadedCheckpoint> }>();

  constructor(private readonly capacity = 2) {}

  async get(dir: string, needGenerator = false): Promise<LoadedCheckpoint> {
    const key = path.resolve(dir);
    const stamp = await fs.stat(path.join(key, 'model.safetensors')).then((s) => s.mtimeMs, () => 0);
    const cached = this.loaded.get(key);
    if (cached && cached.stamp === stamp) {
      const checkpoint = await cached.checkpoint;
      if (!needGenerator || checkpoint.model.generator) {
        this.loaded.delete(key);
        this.loaded.set(key, cached); // most recently used last
        return checkpoint;
      }
    }
    if (cached) await this.evict(key);
    const checkpoint = loadCheckpoint(key, { needGenerator });
    this.loaded.set(key, { stamp, checkpoint });
    checkpoint.catch(() => this.loaded.delete(key));
    while (this.loaded.size > this.capacity) await this.evict(this.loaded.keys().next().value!);
    return checkpoint;
  }

  private async evict(key: string): Promise<void> {
    const entry = this.loaded.get(key);
    this.loaded.delete(key);
    const checkpoint = await entry?.checkpoint.catch(() => undefined);
    checkpoint?.model.dispose();
  }

  async dispose(): Promise<void> {
    for (const key of [...this.loaded.keys()]) await this.evict(key);
  }
}

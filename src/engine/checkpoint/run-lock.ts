import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { processAlive } from './atomic';

export const RUN_LOCK_FILE = '.lock';

/**
 * One training process per run folder: pretraining holds `<run>/.lock` (its pid) while it runs. A second one in
 * the same folder — Resume clicked while a run left by a restarted engine is still finishing its step, or two
 * terminals — would interleave metrics.jsonl and resume from a checkpoint still being written. A lock whose
 * process is gone (killed) is taken over. Returns the release, which also runs if the process exits meanwhile.
 */
export function holdRunLock(runDir: string): () => void {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, RUN_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (processAlive(holder)) {
        throw new UserError(`${runDir} is in use by another training process (pid ${holder}) — wait until it stops (it saves a checkpoint first) or stop it, then try again`);
      }
      fs.rmSync(file, { force: true }); // left by a killed run
    }
  }
  const release = () => {
    process.removeListener('exit', release);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return release;
}

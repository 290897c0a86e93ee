import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { PretrainParams, RunEvent } from '../../protocol';
import { UserError } from '../errors';

/**
 * Pretraining runs launched from the editor. Each is `electra-lab pretrain --progress-json` in a child
 * process (dist/cli.js next to this bundle): its own memory (the wasm heap is 4 GB at most), no stall of
 * the engine's heatmap requests, and Stop is the CLI's own Ctrl-C path (checkpoint, then exit).
 */
export class RunManager {
  private readonly running = new Map<string, ChildProcess>();

  constructor(private readonly onEvent: (runDir: string, e: RunEvent) => void, private readonly cliPath = path.join(__dirname, 'cli.js')) {}

  start(params: PretrainParams): string {
    const runDir = path.resolve(params.out);
    if (this.running.has(runDir)) throw new UserError(`a run is already training in ${runDir} — stop it first`);
    const args = ['pretrain', '--out', runDir, '--progress-json'];
    for (const c of params.corpus) args.push('--corpus', c);
    if (params.preset) args.push('--preset', params.preset);
    if (params.steps) args.push('--steps', String(params.steps));
    if (params.batch) args.push('--batch', String(params.batch));
    if (params.seq) args.push('--seq', String(params.seq));
    if (params.saveEvery) args.push('--save-every', String(params.saveEvery));
    if (params.backend) args.push('--backend', params.backend);
    if (params.resume) args.push('--resume');
    const child = spawn(process.execPath, [this.cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.running.set(runDir, child);
    let lastError = '';
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as RunEvent;
        // The run is over once it says so (the process then exits): the same folder may be resumed at once.
        if (event.kind === 'done' && this.running.get(runDir) === child) this.running.delete(runDir);
        this.onEvent(runDir, event);
      } catch {
        // Not an event line: nothing the editor needs.
      }
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim()) lastError = line.replace(/^electra-lab: /, '');
    });
    child.on('exit', (code) => {
      if (this.running.get(runDir) === child) this.running.delete(runDir);
      if (code !== 0) this.onEvent(runDir, { kind: 'failed', message: lastError || `the training process exited with code ${code}` });
    });
    return runDir;
  }

  stop(runDir: string): void {
    this.running.get(path.resolve(runDir))?.kill('SIGINT');
  }

  dispose(): void {
    for (const child of this.running.values()) child.kill('SIGINT');
  }
}

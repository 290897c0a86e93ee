import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { FinetuneParams, PretrainParams, RunEvent } from '../../protocol';
import { UserError } from '../errors';
import { finetuneCommand, pretrainCommand, type RunCommand } from './run-args';

/**
 * Runs launched from the editor: `electra-lab pretrain|finetune --progress-json` in a child process (dist/cli.js
 * next to this bundle): its own memory (the wasm heap is 4 GB at most), no stall of the engine's heatmap
 * requests, and Stop is the CLI's own Ctrl-C path (pretraining checkpoints, fine-tuning keeps its best epoch).
 */
export class RunManager {
  private readonly running = new Map<string, ChildProcess>();

  constructor(private readonly onEvent: (runDir: string, e: RunEvent) => void, private readonly cliPath = path.join(__dirname, 'cli.js')) {}

  startPretrain(params: PretrainParams): string {
    return this.launch(pretrainCommand(params), 'training');
  }

  startFinetune(params: FinetuneParams): string {
    return this.launch(finetuneCommand(params), 'fine-tuning');
  }

  /** Spawns the CLI and forwards its JSON lines; a non-zero exit becomes `failed` with the CLI's last error line. */
  private launch({ runDir, args }: RunCommand, what: string): string {
    if (this.running.has(runDir)) throw new UserError(`a run is already ${what} into ${runDir} — stop it first`);
    const child = spawn(process.execPath, [this.cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    lowerPriority(child);
    this.running.set(runDir, child);
    let lastError = '';
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: RunEvent;
      try {
        event = JSON.parse(line) as RunEvent;
      } catch {
        return; // not an event line: nothing the editor needs
      }
      // The run is over once it says so (the process then exits): the same folder may be started again at once.
      if (event.kind === 'done' && this.running.get(runDir) === child) this.running.delete(runDir);
      this.onEvent(runDir, event);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim()) lastError = line.replace(/^electra-lab: /, '');
    });
    // 'close', not 'exit': after it the child's stderr is read to the end, so its last line is known.
    child.on('close', (code, signal) => {
      if (this.running.get(runDir) === child) this.running.delete(runDir);
      if (code === 0) return;
      // Stopped before the CLI could catch Ctrl-C (it was still starting), or killed (e.g. out of memory).
      const how = signal === 'SIGINT' ? 'was stopped before its first step, so nothing was saved' : signal ? `was killed (${signal})` : `exited with code ${code}`;
      this.onEvent(runDir, { kind: 'failed', message: lastError || `the ${what} process ${how}` });
    });
    child.on('error', (e) => {
      // Could not start at all (no such file, too many processes): 'close' may not follow.
      if (this.running.get(runDir) === child) this.running.delete(runDir);
      this.onEvent(runDir, { kind: 'failed', message: `could not start the ${what} process: ${e.message}` });
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

/**
 * A run is background work and the editor's requests are not: on a machine with few cores both want every
 * core (two wasm thread pools), and at equal priority a heatmap request waited up to ~0.85 of an ELECTRA-Small
 * step behind training (bench/heatmap-during-training.ts). A lower priority lets the engine's short requests
 * through first; the run takes the CPU back as soon as they are done.
 */
function lowerPriority(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    os.setPriority(child.pid, Math.min(19, os.getPriority() + 10));
  } catch {
    // Not permitted here (some containers): the run keeps the engine's priority.
  }
}

import { initBackend, type BackendRequest } from '../engine/backend';
import type { Flags } from './commands';

/**
 * `electra-lab doctor`: which compute tier this machine runs and why each better one does not — the same
 * line the engine logs and the editor's status bar shows, for a terminal or a script (--json).
 */
export async function doctorCommand(flags: Flags): Promise<void> {
  const request = (typeof flags.backend === 'string' ? flags.backend : 'auto') as BackendRequest;
  const report = await initBackend(request, { threads: typeof flags.threads === 'string' ? Number(flags.threads) : undefined });
  if (flags.json) {
    const { tier, backend, threads, skipped, native, simd } = report;
    process.stdout.write(JSON.stringify({ tier, backend, threads, simd, native, skipped, summary: report.describe() }) + '\n');
    return;
  }
  process.stdout.write(`compute: ${report.describe().split('; skipped')[0]}\n`);
  if (report.native) process.stdout.write(`native addon: ${report.native.file}\n`);
  for (const s of report.skipped) process.stdout.write(`not used — ${s.tier}: ${s.reason}\n`);
}

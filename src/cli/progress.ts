import type { MetricsRecord, TrainerEvent } from '../engine/pretrain/trainer';

/** A one-line progress bar with the latest metrics on a terminal; plain metric lines otherwise. */
export function progressPrinter(): (e: TrainerEvent) => void {
  const tty = process.stderr.isTTY === true;
  let last: MetricsRecord | undefined;
  let started = Date.now();
  let firstStep: number | undefined;
  return (e) => {
    switch (e.kind) {
      case 'info':
        clear(tty);
        process.stderr.write(`${e.message}\n`);
        break;
      case 'warning':
        clear(tty);
        process.stderr.write(`warning: ${e.message}\n`);
        break;
      case 'step': {
        if (firstStep === undefined) {
          firstStep = e.step;
          started = Date.now();
        }
        if (!tty) break;
        const width = 24;
        const filled = Math.round((e.step / e.totalSteps) * width);
        const perStep = (Date.now() - started) / Math.max(1, e.step - firstStep + 1);
        const eta = Math.round(((e.totalSteps - e.step) * perStep) / 1000);
        const metrics = last ? ` | ${summary(last)}` : '';
        process.stderr.write(`\r\x1b[K${String(e.step).padStart(String(e.totalSteps).length)}/${e.totalSteps} ▕${'█'.repeat(filled)}${' '.repeat(width - filled)}▏ loss ${e.loss.toFixed(3)}${metrics} | eta ${eta}s`);
        break;
      }
      case 'metrics':
        last = e.record;
        if (!tty) process.stderr.write(`step ${e.record.step}: loss ${e.record.loss.toFixed(3)} | ${summary(e.record)}\n`);
        break;
      case 'checkpoint':
        clear(tty);
        process.stderr.write(`checkpoint: ${e.dir}\n`);
        break;
      case 'done':
        clear(tty);
        process.stderr.write(`${e.stopped ? 'stopped' : 'finished'} at step ${e.step}; last checkpoint ${e.checkpoint}\n`);
        break;
    }
  };
}

function summary(r: MetricsRecord): string {
  const parts: string[] = [];
  const f = (v: number | undefined, digits: number) => (v === undefined ? '–' : v.toFixed(digits));
  if (r.masked_lm_loss !== undefined) parts.push(`gen mlm ${f(r.masked_lm_loss, 2)} acc ${f(r.masked_lm_accuracy, 2)}`);
  if (r.disc_loss !== undefined || r.disc_auc !== undefined) parts.push(`disc ${f(r.disc_loss, 3)} acc ${f(r.disc_accuracy, 3)} auc ${f(r.disc_auc, 3)}`);
  if (r.main_mlm_loss !== undefined) parts.push(`main mlm ${f(r.main_mlm_loss, 2)} acc ${f(r.main_mlm_accuracy, 3)}`);
  parts.push(`${Math.round(r.tokens_per_sec)} tok/s`);
  return parts.join(' | ');
}

function clear(tty: boolean): void {
  if (tty) process.stderr.write('\r\x1b[K');
}

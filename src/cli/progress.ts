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
  return `mlm ${r.masked_lm_loss.toFixed(2)} acc ${r.masked_lm_accuracy.toFixed(2)} | disc ${r.disc_loss.toFixed(3)} acc ${r.disc_accuracy.toFixed(3)} auc ${r.disc_auc.toFixed(3)} | ${Math.round(r.tokens_per_sec)} tok/s`;
}

function clear(tty: boolean): void {
  if (tty) process.stderr.write('\r\x1b[K');
}

import type { CheckpointEvaluation } from '../../protocol';

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The evaluation table as CSV: one row per checkpoint, one column per metric any row has (fine-tuning
 * metrics as `<task>/<metric>`), so runs with different objectives still line up.
 */
export function evaluationsToCsv(rows: readonly CheckpointEvaluation[]): string {
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const taskNames = [...new Set(rows.flatMap((r) => r.finetune.flatMap((f) => Object.keys(f.metrics).map((m) => `${f.task}/${m}`))))].sort();
  const header = ['run', 'step', 'checkpoint', 'split', 'examples', 'tokens', ...metricNames, ...taskNames];
  const lines = rows.map((r) => {
    const tasks = new Map<string, number>(r.finetune.flatMap((f) => Object.entries(f.metrics).map(([m, v]): [string, number] => [`${f.task}/${m}`, v])));
    return [r.run, r.step, r.checkpoint, r.split, r.examples, r.tokens, ...metricNames.map((m) => r.metrics[m] ?? ''), ...taskNames.map((t) => tasks.get(t) ?? '')];
  });
  return [header, ...lines].map((line) => line.map(csvField).join(',')).join('\n') + '\n';
}

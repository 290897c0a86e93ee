/**
 * A sweep's results side by side: runs grouped by configuration (every axis but the seed), mean ± spread over
 * seeds, the best group per column marked — the shape of the paper's Table 5, with the measures a run without
 * fine-tuning has.
 */
import type { SweepAxis, SweepGroup, SweepRunResult, SweepSpec, SweepSummary, SweepValue } from '../../protocol';

interface Column {
  key: string;
  label: string;
  /** Which way is better; `undefined`: shown, not compared (e.g. the loss, whose meaning differs by objective). */
  better?: 'higher' | 'lower';
  digits: number;
}

/** The compared measures. Injected corruption is the one every discriminator gets on equal terms (words swapped at
 *  random, not by its own generator); MLM objectives have no replaced-token head and show "—" there. */
export const SUMMARY_COLUMNS: Column[] = [
  { key: 'injected_auc', label: 'injected AUC', better: 'higher', digits: 3 },
  { key: 'injected_found_rate', label: 'injected found', better: 'higher', digits: 3 },
  { key: 'disc_auc', label: 'RTD AUC (own generator)', better: 'higher', digits: 3 },
  { key: 'masked_lm_accuracy', label: 'generator MLM acc', better: 'higher', digits: 3 },
  { key: 'main_mlm_accuracy', label: 'main MLM acc', better: 'higher', digits: 3 },
  { key: 'loss', label: 'held-out loss', digits: 3 },
];
const COST_COLUMNS: Column[] = [
  { key: 'steps', label: 'steps', digits: 0 },
  { key: 'flops', label: 'FLOPs', digits: 2 },
  { key: 'wall_time_s', label: 'wall s', digits: 1 },
];

function groupLabel(values: Partial<Record<SweepAxis, SweepValue>>): string {
  const parts = Object.entries(values).filter(([k]) => k !== 'seed').map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'base';
}

function stats(xs: number[]): { mean: number; spread: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const spread = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, spread, n };
}

/** The compared columns of these runs: a fine-tuning metric (finetune_<metric>) first, as the paper leads with GLUE. */
function comparedColumns(runs: SweepRunResult[]): Column[] {
  const finetuned = [...new Set(runs.flatMap((r) => Object.keys(r.metrics).filter((k) => k.startsWith('finetune_'))))].sort();
  return [...finetuned.map((key) => ({ key, label: `fine-tuned ${key.slice('finetune_'.length)} (dev)`, better: 'higher' as const, digits: 3 })), ...SUMMARY_COLUMNS];
}

export function summarise(spec: string, budget: SweepSpec['budget'], runs: SweepRunResult[]): SweepSummary {
  const compared = comparedColumns(runs);
  const byLabel = new Map<string, SweepRunResult[]>();
  for (const r of runs) {
    const label = groupLabel(r.values);
    byLabel.set(label, [...(byLabel.get(label) ?? []), r]);
  }
  const groups: SweepGroup[] = [...byLabel].map(([label, members]) => {
    const metrics: SweepGroup['metrics'] = {};
    for (const c of [...COST_COLUMNS, ...compared]) {
      const xs = members.map((m) => (c.key in m.metrics ? m.metrics[c.key] : (m as unknown as Record<string, number>)[c.key])).filter((x) => typeof x === 'number' && Number.isFinite(x));
      if (xs.length) metrics[c.key] = stats(xs);
    }
    const { seed: _seed, ...values } = members[0].values;
    return { label, values, runs: members.map((m) => m.name), metrics };
  });
  const best: Record<string, string> = {};
  for (const c of compared) {
    if (!c.better) continue;
    const scored = groups.filter((g) => g.metrics[c.key]);
    if (scored.length < 2) continue;
    const sign = c.better === 'higher' ? 1 : -1;
    const ranked = scored.sort((a, b) => sign * (b.metrics[c.key].mean - a.metrics[c.key].mean));
    // A tie at the top marks nothing: no configuration is best at it.
    if (ranked[0].metrics[c.key].mean !== ranked[1].metrics[c.key].mean) best[c.key] = ranked[0].label;
  }
  return { spec, budget, runs, groups, best };
}

function cell(c: Column, m: { mean: number; spread: number; n: number } | undefined): string {
  if (!m) return '—';
  const fmt = (x: number) => (c.key === 'flops' ? x.toExponential(c.digits) : x.toFixed(c.digits));
  return m.n > 1 && m.spread > 0 ? `${fmt(m.mean)} ± ${fmt(m.spread)}` : fmt(m.mean);
}

export function summaryMarkdown(s: SweepSummary, injectedFraction: number): string {
  const budget = 'steps' in s.budget ? `equal steps (${s.budget.steps} each)` : `equal training FLOPs (${s.budget.flops.toExponential(2)} each; docs/compute.md)`;
  const splits = new Set(s.runs.map((r) => r.split));
  const where = splits.has('all') ? 'the training text (the corpus is too small for a held-out split)' : 'held-out text';
  const columns = [...COST_COLUMNS, ...comparedColumns(s.runs)];
  const lines = [
    `# Sweep: ${s.spec}`,
    '',
    `${s.runs.length} runs, ${budget}. Every run evaluated the same way on ${where}: the same examples, masking and`,
    'injected swaps. Values are mean ± sample standard deviation over seeds; **bold** is the best of its column.',
    '',
    `| configuration | seeds | ${columns.map((c) => c.label).join(' | ')} |`,
    `|---|---|${columns.map(() => '---').join('|')}|`,
  ];
  for (const g of s.groups) {
    const cells = columns.map((c) => {
      const text = cell(c, g.metrics[c.key]);
      return s.best[c.key] === g.label ? `**${text}**` : text;
    });
    lines.push(`| ${g.label} | ${g.runs.length} | ${cells.join(' | ')} |`);
  }
  lines.push('', `injected: ${Math.round(injectedFraction * 100)}% of the evaluated words swapped for random vocabulary words, ranked by the discriminator (AUC; found = share of the`,
    'swapped words among its most suspicious tokens). MLM-only objectives have no replaced-token head: "—".', '');
  return lines.join('\n');
}

/**
 * Metric ids as metrics.jsonl and the evaluation results spell them (google-research/electra's names), in words
 * a reader knows. Pages show the words and keep the id in a tooltip, so a user can still find the column in
 * the file or the CSV export. An id not listed is shown as it is.
 */
const NAMES: Record<string, string> = {
  loss: 'Total loss',
  masked_lm_loss: 'Generator MLM loss',
  masked_lm_accuracy: 'Generator MLM accuracy',
  sampled_masked_lm_accuracy: 'Generator sample accuracy',
  disc_loss: 'Discriminator loss',
  disc_accuracy: 'Discriminator accuracy',
  disc_precision: 'Discriminator precision',
  disc_recall: 'Discriminator recall',
  disc_f1: 'Discriminator F1',
  disc_auc: 'Discriminator AUC',
  main_mlm_loss: 'Main model MLM loss',
  main_mlm_accuracy: 'Main model MLM accuracy',
  replaced_fraction: 'Replaced fraction',
  injected_auc: 'Injected-corruption AUC',
  learning_rate: 'Learning rate',
  grad_norm: 'Gradient norm',
  tokens_per_sec: 'Throughput (tokens/s)',
  tokens_per_second: 'Throughput (tokens/s)',
  // Fine-tuning metrics (GLUE's).
  accuracy: 'Accuracy',
  f1: 'F1',
  mcc: 'Matthews corr.',
  pearson: 'Pearson',
  spearman: 'Spearman',
};

export function metricName(id: string): string {
  return NAMES[id] ?? id;
}

/** The tooltip naming the raw id(s) behind a label. */
export function rawIdTip(ids: readonly string[], where = 'metrics.jsonl'): string {
  return `${ids.join(', ')} in ${where}`;
}

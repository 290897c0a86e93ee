import type { ElectraConfig } from '../model/config';
import type { WordPieceTokenizer } from '../tokenizer';

/**
 * The small files `transformers` reads next to model.safetensors: config.json, and the slow (vocab.txt) tokenizer
 * with its settings, so AutoTokenizer.from_pretrained builds the same WordPiece tokenizer (it derives the fast one).
 */
export function hfConfigJson(config: ElectraConfig, architecture: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    architectures: [architecture],
    model_type: 'electra',
    ...config,
    torch_dtype: 'float32',
    ...extra,
  }, null, 2)}\n`;
}

export function hfTokenizerFiles(tokenizer: WordPieceTokenizer, maxLength: number): Map<string, string> {
  const special = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };
  return new Map([
    ['vocab.txt', tokenizer.toVocabText()],
    ['tokenizer_config.json', `${JSON.stringify({
      tokenizer_class: 'ElectraTokenizer',
      do_lower_case: tokenizer.options.lowercase,
      // BERT's tokenizer reads null as "follow do_lower_case"; spell it out only when they differ.
      strip_accents: tokenizer.options.stripAccents === tokenizer.options.lowercase ? null : tokenizer.options.stripAccents,
      tokenize_chinese_chars: true,
      model_max_length: maxLength,
      ...special,
    }, null, 2)}\n`],
    ['special_tokens_map.json', `${JSON.stringify(special, null, 2)}\n`],
  ]);
}

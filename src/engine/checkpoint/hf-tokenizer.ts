import { UserError } from '../errors';

/** What a Hugging Face tokenizer.json tells a WordPiece tokenizer: the vocabulary in id order and the normalizer's case/accent rules. */
export interface TokenizerJsonVocab {
  vocab: string[];
  lowercase?: boolean;
  stripAccents?: boolean | null;
}

/**
 * Reads the WordPiece vocabulary of a `tokenizers` tokenizer.json (`model.vocab`, a token → id map), so a folder
 * saved with only the fast tokenizer loads without vocab.txt. Ids must be exactly 0..n−1.
 */
export function vocabFromTokenizerJson(text: string, file: string): TokenizerJsonVocab {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new UserError(`${file}: not valid JSON — re-save the tokenizer, or put the model's vocab.txt next to it`);
  }
  const model = (parsed as { model?: { type?: unknown; vocab?: unknown } } | null)?.model;
  if (!model || typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) {
    throw new UserError(`${file}: has no WordPiece vocabulary (model.vocab) — put the model's vocab.txt next to it`);
  }
  if (model.type !== undefined && model.type !== 'WordPiece') {
    throw new UserError(`${file}: is a ${String(model.type)} tokenizer, not WordPiece — ELECTRA Lab reads BERT-style WordPiece vocabularies only`);
  }
  const entries = Object.entries(model.vocab as Record<string, unknown>);
  const vocab: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || vocab[id] !== undefined) {
      throw new UserError(`${file}: model.vocab gives "${token}" the id ${JSON.stringify(id)}, but ids must be 0..${entries.length - 1}, each once — re-save the tokenizer`);
    }
    vocab[id] = token;
  }
  const normalizer = (parsed as { normalizer?: { type?: unknown; lowercase?: unknown; strip_accents?: unknown } }).normalizer;
  const out: TokenizerJsonVocab = { vocab };
  if (normalizer && normalizer.type === 'BertNormalizer') {
    if (typeof normalizer.lowercase === 'boolean') out.lowercase = normalizer.lowercase;
    if (typeof normalizer.strip_accents === 'boolean' || normalizer.strip_accents === null) out.stripAccents = normalizer.strip_accents;
  }
  return out;
}

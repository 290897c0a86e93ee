export {
  type TokenizerOptions,
  type NormalizedText,
  DEFAULT_TOKENIZER_OPTIONS,
  BertNormalizer,
  normalize,
  normalizeString,
} from './normalize';
export { type PreToken, pretokenize, forEachWord, isBertPunctuation, isCjkIdeograph } from './pretokenize';
export {
  type EncodedToken,
  type SpecialIds,
  type SpecialToken,
  SPECIAL_TOKENS,
  CONTINUATION_PREFIX,
  MAX_INPUT_CHARS_PER_WORD,
  WordPieceTokenizer,
  parseVocabText,
} from './wordpiece';
export { type TrainOptions, trainWordPiece } from './train';

// "Not this": the words a text search leaves out ("-word" in the text, or
// `exclude`), and when a photo counts as one of theirs.
import { dropStopWords, tokenize, voteKey } from '../embedding/index.js';
import { badInput } from '../errors.js';
import type { TextSearchOptions } from '../repositories/textSearchRepository.js';

/**
 * A photo is an excluded word's when its captions use the word, or when its
 * score for the word alone (text_search_score: the cosine of its searched
 * vector to the word + the vote weight × its neighbours' vote for it) reaches
 * this. Chosen on Pascal's training split by `npm run eval` (six "class
 * -word" cases, docs/search.md): from 0.8 on every other photo of the class
 * is kept, and up to 0.9 the photos to drop are dropped as often as at 0.4.
 */
export const EXCLUDE_MIN_SCORE = 0.8;

const MAX_EXCLUDED = 20;

/** The text without its "-word"s, and the words excluded by them and by `exclude`, lower-cased, stop words dropped. */
export function splitExcluded(text: string, exclude: readonly string[]): { text: string; excluded: string[] } {
  const kept: string[] = [];
  const minus: string[] = [];
  for (const part of text.split(/\s+/u)) {
    if (part.length > 1 && part.startsWith('-')) minus.push(part.slice(1));
    else if (part) kept.push(part);
  }
  if (kept.length === 0) throw badInput(`'text' has only excluded words ("-word"): say what to search for too`);
  const excluded = dropStopWords(tokenize([...minus, ...exclude].join(' ')));
  if (excluded.length > MAX_EXCLUDED) throw badInput(`at most ${MAX_EXCLUDED} excluded words, got ${excluded.length}`);
  return { text: kept.join(' '), excluded };
}

/** The search statement's exclusion for these words. */
export function excludeOption(words: readonly string[], minScore = EXCLUDE_MIN_SCORE): NonNullable<TextSearchOptions['exclude']> {
  return { words, voteKeys: words.map(voteKey), minScore };
}

// Text → GloVe space: tokenise, then average the vectors of the known words
// (the caller looks the words up).
import { meanVector } from '../lib/vectors.js';
import { STOP_WORDS } from './stopWords.js';

export const MAX_TEXT_LENGTH = 500;

export interface TextEmbedding {
  /** Mean of the known words' vectors; null when no word is known. */
  vector: Float32Array | null;
  known: string[];
  unknown: string[];
}

/** Lower-cased tokens; punctuation around words is dropped, a lone symbol is kept. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const raw of text.toLowerCase().normalize('NFC').split(/[\s,;]+/u)) {
    if (!raw) continue;
    const trimmed = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    tokens.push(trimmed || raw);
  }
  return [...new Set(tokens)];
}

export function dropStopWords(tokens: string[]): string[] {
  const content = tokens.filter((token) => !STOP_WORDS.has(token));
  // "the" alone still means something to search for.
  return content.length > 0 ? content : tokens;
}

/** The mean of the known tokens' vectors; `vectors` holds the known ones (a lookup of `tokens`). */
export function embedText(tokens: readonly string[], vectors: ReadonlyMap<string, Float32Array>): TextEmbedding {
  const known = tokens.filter((token) => vectors.has(token));
  const unknown = tokens.filter((token) => !vectors.has(token));
  const vector = known.length > 0 ? meanVector(known.map((token) => vectors.get(token)!)) : null;
  return { vector, known, unknown };
}

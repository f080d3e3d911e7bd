// What a word question means: validation, tokenising, averaging, exclusion.
import type { Embedder } from '../embedding/index.js';
import { MAX_TEXT_LENGTH, tokenize } from '../embedding/text.js';
import { badInput, checkFirst } from '../errors.js';
import type { WordRepository } from '../repositories/wordRepository.js';

export interface WordMatch {
  text: string;
  distance: number;
}

export function checkText(text: string, argument: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw badInput(`'${argument}' is empty: enter at least one word`);
  if (trimmed.length > MAX_TEXT_LENGTH) {
    throw badInput(`'${argument}' is too long: at most ${MAX_TEXT_LENGTH} characters, got ${trimmed.length}`);
  }
  return trimmed;
}

export function noKnownWords(unknown: string[]) {
  const shown = unknown.slice(0, 10).join(' ');
  return badInput(`No known words in '${shown}'. Try common English words.`, { unknownWords: unknown.slice(0, 10) });
}

export class WordService {
  constructor(
    private readonly words: WordRepository,
    private readonly embedder: Embedder,
    private readonly efSearch: number,
  ) {}

  /** Nearest GloVe words to the mean of the known words of `text`, excluding those words. */
  async similarWords(text: string, first?: number | null): Promise<WordMatch[]> {
    const limit = checkFirst(first, 10);
    const checked = checkText(text, 'word');
    const tokens = tokenize(checked);
    if (tokens.length === 1) {
      // One word: its stored vector is read inside the search (one round trip).
      const matches = await this.words.nearestToStoredWord(tokens[0]!, limit, this.efSearch);
      if (matches.length > 0) return matches;
    }
    const embedding = await this.embedder.embedText(checked);
    if (!embedding.vector) throw noKnownWords(embedding.unknown);
    return this.words.nearest(embedding.vector, embedding.known, limit, this.efSearch);
  }
}

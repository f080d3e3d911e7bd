// What a word question means: validation, tokenising, averaging, exclusion.
import { embedText, tokenize } from '../embedding/index.js';
import { checkFirst } from '../errors.js';
import type { WordRepository } from '../repositories/wordRepository.js';
import { checkText, noKnownWords } from './arguments.js';
import type { Warmup } from './warmup.js';

export interface WordMatch {
  text: string;
  distance: number;
}

export class WordService {
  constructor(
    private readonly words: WordRepository,
    private readonly efSearch: number,
    private readonly warmup: Warmup,
  ) {}

  /**
   * Nearest GloVe words to the mean of the known words of `text`, excluding
   * those words. Until the word index exists, an exact scan of the words in
   * memory answers (the embedded store cannot while it builds the index).
   */
  async similarWords(text: string, first?: number | null): Promise<WordMatch[]> {
    const limit = checkFirst(first, 10);
    const tokens = tokenize(checkText(text, 'word'));
    this.warmup.check('similarWords');
    const table = this.warmup.wordTable;
    if (table) {
      const embedding = embedText(tokens, table.vectorsOf(tokens));
      if (!embedding.vector) throw noKnownWords(embedding.unknown);
      return table.nearest(embedding.vector, embedding.known, limit);
    }
    if (tokens.length === 1) {
      // One word: its stored vector is read inside the search (one round trip).
      const matches = await this.words.nearestToStoredWord(tokens[0]!, limit, this.efSearch);
      if (matches.length > 0) return matches;
    }
    const embedding = embedText(tokens, await this.words.findVectors(tokens));
    if (!embedding.vector) throw noKnownWords(embedding.unknown);
    return this.words.nearest(embedding.vector, embedding.known, limit, this.efSearch);
  }
}

// What a word question means: validation, tokenising, averaging, exclusion.
import { dropStopWords, embedText, STOP_WORDS, tokenize } from '../embedding/index.js';
import type { WordRepository } from '../repositories/wordRepository.js';
import { checkFirst, checkText, noKnownWords } from './arguments.js';
import { decodeMatchCursor, encodeMatchCursor } from './matchCursors.js';
import type { Warmup } from './warmup.js';

export interface WordMatch {
  text: string;
  distance: number;
  /** Its place in the list, for the next page's `after`. */
  cursor: string;
}

type WordDistance = Omit<WordMatch, 'cursor'>;

/** Each cursor is encoded when a query asks for it: most never do. */
const withCursors = (matches: readonly WordDistance[]): WordMatch[] =>
  matches.map(({ text, distance }) => ({
    text,
    distance,
    get cursor() {
      return encodeMatchCursor({ kind: 'word', distance, key: text });
    },
  }));

export class WordService {
  constructor(
    private readonly words: WordRepository,
    private readonly efSearch: number,
    private readonly warmup: Warmup,
  ) {}

  /**
   * Nearest GloVe words to the mean of the known words of `text`, excluding
   * those words and stop words. A text's stop words are dropped as
   * imagesForText drops them ("dog on a beach" is dog and beach); a text of
   * stop words alone keeps them, so "the" still answers. Until the word index
   * exists, an exact scan of the words in memory answers (the embedded store
   * cannot while it builds the index).
   */
  async similarWords(text: string, first?: number | null, after?: string | null): Promise<WordMatch[]> {
    const limit = checkFirst(first, 10);
    const tokens = dropStopWords(tokenize(checkText(text, 'word')));
    const cursor = after ? decodeMatchCursor(after, 'word', 'similarWords') : undefined;
    const previous = cursor && { distance: cursor.distance, text: cursor.key };
    this.warmup.check('similarWords');
    const table = this.warmup.wordTable;
    if (table) {
      const embedding = embedText(tokens, table.vectorsOf(tokens));
      if (!embedding.vector) throw noKnownWords(embedding.unknown);
      return withCursors(table.nearest(embedding.vector, withStopWords(embedding.known), limit, previous));
    }
    if (tokens.length === 1) {
      // One word: its stored vector is read inside the search (one round trip); so on later pages.
      const matches = await this.words.nearestToStoredWord(tokens[0]!, limit, this.efSearch, NEVER_ANSWERED, previous);
      if (matches.length > 0 || (previous && (await this.words.findVectors(tokens)).size > 0)) return withCursors(matches);
    }
    const embedding = embedText(tokens, await this.words.findVectors(tokens));
    if (!embedding.vector) throw noKnownWords(embedding.unknown);
    const exclude = withStopWords(embedding.known);
    return withCursors(
      previous
        ? await this.words.nearestAfter(embedding.vector, exclude, limit, this.efSearch, previous)
        : await this.words.nearest(embedding.vector, exclude, limit, this.efSearch),
    );
  }

  /**
   * similarWords for each of several texts (Word.similar of a list, through
   * a DataLoader): the single stored words in one statement, the rest (none
   * stored: several words, an unknown one, the in-memory table) one by one.
   */
  async similarToEach(texts: readonly string[], first?: number | null): Promise<WordMatch[][]> {
    const limit = checkFirst(first, 10);
    if (this.warmup.wordTable) return Promise.all(texts.map((text) => this.similarWords(text, limit)));
    const tokens = texts.map((text) => dropStopWords(tokenize(checkText(text, 'word'))));
    this.warmup.check('similarWords');
    // A stored word that is all punctuation (GloVe has ',' and "'s") tokenizes to nothing: searched as it is.
    const single = tokens.flatMap((words, i) =>
      words.length === 1 ? [{ word: words[0]!, i }] : words.length === 0 ? [{ word: texts[i]!, i }] : [],
    );
    const found = await this.words.nearestToStoredWords(single.map((s) => s.word), limit, this.efSearch, NEVER_ANSWERED);
    const answers = texts.map((): WordMatch[] | undefined => undefined);
    single.forEach(({ i }, k) => {
      if (found[k]!.length > 0) answers[i] = withCursors(found[k]!);
    });
    return Promise.all(texts.map((text, i) => answers[i] ?? this.similarWords(text, limit)));
  }
}

/** Stop words are never an answer: they are near everything and say nothing. */
const NEVER_ANSWERED: readonly string[] = [...STOP_WORDS];
const withStopWords = (words: readonly string[]) => [...new Set([...words, ...NEVER_ANSWERED])];

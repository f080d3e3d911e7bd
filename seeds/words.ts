// Loads GloVe words into the `words` table, then builds the HNSW index.
// Resumable: batches are committed in rank order, a re-run continues after the
// last committed rank and never inserts a word twice.
// Two steps, so a first start can answer between them: loadWords hands back the
// words as an in-memory table (exact search until the index exists), and
// buildWordIndex may run beside the image phase.
import { ALL_WORDS } from '../src/config.js';
import {
  type GloveWord,
  isTagWord,
  readGloveSize,
  readGloveVocabulary,
  readGloveWords,
  WordTable,
} from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import { SEED_PHASES } from '../src/services/seedPhases.js';
import type { SeedStateRepository } from '../src/repositories/seedStateRepository.js';
import type { IndexBuildProgress, WordRepository } from '../src/repositories/wordRepository.js';
import { createProgress, formatDuration } from '../src/lib/progress.js';

export const WORDS_PHASE = SEED_PHASES.words.record;
/** The last word index build's rate on this store: the next build's estimate. */
export const WORD_INDEX_RATE_PHASE = 'word_index_rate';
const BATCH_SIZE = 5_000;
/**
 * Words per second of an embedded build before this store has measured its
 * own: 100k words in about 90 s on one core of the reference machine
 * (docs/operations.md); the server store reports its real progress instead.
 */
const DEFAULT_INDEX_WORDS_PER_SECOND = 1_100;
const INDEX_PROGRESS_EVERY_MS = 5_000;

export interface SeedWordsOptions {
  limit: number;
  /** maintenance_work_mem for the index build. */
  indexMemory: string;
  gloveFile?: string;
}

export interface SeedWordsResult {
  skipped: boolean;
  words: number;
  loadSeconds: number;
  indexSeconds: number;
}

export interface LoadWordsResult {
  /** Loaded and indexed by an earlier run: nothing to do. */
  skipped: boolean;
  words: number;
  /** The words needed beyond the limit were read in this pass (hooks.neededBeyondLimit). */
  beyondLimitLoaded?: boolean;
  loadSeconds: number;
  /** Every loaded word, for exact search until the index exists; absent when skipped. */
  table?: WordTable;
}

export interface WordSeedHooks {
  /** Words stored so far, of how many. */
  onProgress?(done: number, total: number): void;
  /** Runs the index build; the default runs it as is (the app closes the embedded store's gate around it). */
  aroundIndexBuild?<T>(estimateSeconds: number, build: () => Promise<T>): Promise<T>;
  /** The build's own progress, where another connection can read it (a server); else elapsed and the estimate are shown. */
  indexProgress?(): Promise<IndexBuildProgress | undefined>;
  /**
   * What later phases need whatever the limit: loadWords reads on past the
   * limit for it in the same pass over the file (asked for only once the limit is reached).
   */
  neededBeyondLimit?(): Promise<NeededWords>;
}

/** Loads whatever words are missing (and reads the stored ones back into the table). */
export async function loadWords(
  words: WordRepository,
  seedState: SeedStateRepository,
  options: SeedWordsOptions,
  logger: Logger,
  hooks: WordSeedHooks = {},
): Promise<LoadWordsResult> {
  const target = targetWordCount(options.limit, options.gloveFile);
  const previous = (await seedState.completed()).get(WORDS_PHASE);
  const start = await words.nextRank();
  if (previous && start >= target && (await words.hasIndex())) {
    return { skipped: true, words: start, loadSeconds: 0 };
  }
  await seedState.clear(WORDS_PHASE);

  const loadStarted = Date.now();
  // Maintaining HNSW row by row is far slower than one build after the load.
  if (start < target) await words.dropIndex();
  logger.info(start < target ? `seeding words ${start}..${target - 1} from GloVe 6B 100d` : 'reading the stored words');
  const progress = createProgress('words', target, 'words', process.stderr, Math.min(start, target));
  const table = new WordTable();
  let batch: GloveWord[] = [];
  const beyond: GloveWord[] = [];
  const flush = async () => {
    table.add(batch);
    // Words below `start` are stored already: only the table needs them.
    const fresh = batch.filter((word) => word.rank >= start);
    if (fresh.length > 0) {
      await words.insertBatch(fresh);
      progress.tick(fresh.length);
    }
    hooks.onProgress?.(table.size, target);
    batch = [];
  };
  const { neededBeyondLimit } = hooks;
  const beyondLimit = neededBeyondLimit && (async () => wordsBeyondLimit(await neededBeyondLimit(), target, options.gloveFile));
  for await (const word of readGloveWords({ limit: target, file: options.gloveFile, beyondLimit })) {
    // Past the limit: only the needed words, kept out of the table (the seed's words, not the vocabulary searched).
    if (word.rank >= target) beyond.push(word);
    else batch.push(word);
    if (batch.length === BATCH_SIZE) await flush();
  }
  if (batch.length > 0) await flush();
  for (let i = 0; i < beyond.length; i += BATCH_SIZE) await words.insertBatch(beyond.slice(i, i + BATCH_SIZE));
  progress.finish();
  if (beyond.length > 0) logger.info(`loaded ${beyond.length} words beyond WORDS_LIMIT=${options.limit} that the seed needs, in the same pass`);
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  return { skipped: false, words: table.size, loadSeconds, table, beyondLimitLoaded: beyondLimit !== undefined };
}

/** Expected build time: this store's last measured rate, else the reference machine's. */
async function indexEstimateSeconds(seedState: SeedStateRepository, wordCount: number): Promise<number> {
  const measured = (await seedState.completed()).get(WORD_INDEX_RATE_PHASE)?.wordsPerSecond;
  const rate = typeof measured === 'number' && measured > 0 ? measured : DEFAULT_INDEX_WORDS_PER_SECOND;
  return wordCount / rate;
}

function describeIndexProgress(progress: IndexBuildProgress | undefined, elapsed: number, estimate: number): string {
  if (progress && progress.tuplesTotal > 0) {
    const share = progress.tuplesDone / progress.tuplesTotal;
    const eta = share > 0 ? (elapsed * (1 - share)) / share : Number.POSITIVE_INFINITY;
    return `word index [${progress.phase}] ${progress.tuplesDone}/${progress.tuplesTotal} words ${(100 * share).toFixed(0)}% ETA ${formatDuration(eta)}`;
  }
  if (progress) return `word index [${progress.phase}] ${formatDuration(elapsed)} elapsed`;
  const left = estimate - elapsed;
  return `word index: ${formatDuration(elapsed)} elapsed, ${left > 0 ? `about ${formatDuration(left)} left` : 'longer than estimated'} (estimate ${formatDuration(estimate)} from the measured build rate)`;
}

/** Builds the HNSW index with a progress line: the server's own counters, else elapsed time and an estimate. */
export async function buildWordIndex(
  words: WordRepository,
  seedState: SeedStateRepository,
  loaded: { words: number; loadSeconds: number },
  options: SeedWordsOptions,
  logger: Logger,
  hooks: WordSeedHooks = {},
): Promise<SeedWordsResult> {
  const estimate = await indexEstimateSeconds(seedState, loaded.words);
  const started = Date.now();
  logger.info(`building the HNSW index on ${loaded.words} words (cosine), about ${formatDuration(estimate)}`);
  const timer = setInterval(() => {
    void (hooks.indexProgress?.() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then((progress) => process.stderr.write(`${describeIndexProgress(progress, (Date.now() - started) / 1000, estimate)}\n`));
  }, INDEX_PROGRESS_EVERY_MS);
  try {
    const around = hooks.aroundIndexBuild ?? ((_estimate, build) => build());
    await around(estimate, () => words.createIndex(options.indexMemory));
  } finally {
    clearInterval(timer);
  }
  await words.analyze();
  const indexSeconds = (Date.now() - started) / 1000;
  const count = await words.count();
  logger.info(`words ready: ${count} words, load ${loaded.loadSeconds.toFixed(1)} s, index ${indexSeconds.toFixed(1)} s`);
  await seedState.markDone(WORD_INDEX_RATE_PHASE, { wordsPerSecond: count / Math.max(indexSeconds, 1e-3) });
  await seedState.markDone(WORDS_PHASE, { words: count, loadSeconds: loaded.loadSeconds, indexSeconds });
  return { skipped: false, words: count, loadSeconds: loaded.loadSeconds, indexSeconds };
}

export async function seedWords(
  words: WordRepository,
  seedState: SeedStateRepository,
  options: SeedWordsOptions,
  logger: Logger,
): Promise<SeedWordsResult> {
  const loaded = await loadWords(words, seedState, options, logger);
  if (loaded.skipped) return { skipped: true, words: loaded.words, loadSeconds: 0, indexSeconds: 0 };
  return buildWordIndex(words, seedState, loaded, options, logger);
}

/** What the later seed phases read from the words table, whatever WORDS_LIMIT is. */
export interface NeededWords {
  /** Class and caption words of the training images. */
  texts: Iterable<string>;
  /** The tag vocabulary: this many of the most frequent tag words (TAG_VOCABULARY_SIZE). */
  tagWords: number;
}

/**
 * The words the seed needs that a limit of `target` words leaves out: class
 * and caption words, and the tag vocabulary, with ranks from the file's
 * header (its first ~4 MB, not the vectors). Words GloVe lacks (caption typos)
 * are left out.
 */
export async function wordsBeyondLimit(needed: NeededWords, target: number, gloveFile?: string): Promise<Set<string>> {
  const wanted = new Set<string>();
  if (target === ALL_WORDS) return wanted;
  const vocabulary = await readGloveVocabulary(gloveFile);
  if (target >= vocabulary.length) return wanted;
  const rankOf = new Map(vocabulary.map((text, rank) => [text, rank]));
  for (const text of needed.texts) if ((rankOf.get(text) ?? -1) >= target) wanted.add(text);
  let tagWords = 0;
  for (let rank = 0; rank < vocabulary.length && tagWords < needed.tagWords; rank++) {
    const text = vocabulary[rank]!;
    if (!isTagWord(text)) continue;
    tagWords++;
    if (rank >= target) wanted.add(text);
  }
  return wanted;
}

/**
 * Loads the words the seed needs that WORDS_LIMIT left out, with their GloVe
 * ranks, so a small limit still seeds: without them a class word ('motorbike')
 * has no vector and training stops. A first start reads them in loadWords'
 * own pass (hooks.neededBeyondLimit); this is for a store whose words an
 * earlier run loaded. Resumable: words stored already are not read again.
 */
export async function loadWordsBeyondLimit(
  words: WordRepository,
  needed: NeededWords,
  options: SeedWordsOptions,
  logger: Logger,
): Promise<number> {
  if (options.limit === ALL_WORDS) return 0;
  const wanted = await wordsBeyondLimit(needed, options.limit, options.gloveFile);
  for (const stored of (await words.findVectors([...wanted])).keys()) wanted.delete(stored);
  if (wanted.size === 0) return 0;
  logger.info(
    `loading ${wanted.size} words beyond WORDS_LIMIT=${options.limit} that the seed needs (class and caption words, the tag vocabulary)`,
  );
  const loaded = wanted.size;
  let batch: GloveWord[] = [];
  for await (const word of readGloveWords({ file: options.gloveFile, only: wanted })) {
    batch.push(word);
    if (batch.length === BATCH_SIZE) {
      await words.insertBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await words.insertBatch(batch);
  return loaded;
}

/** How many words a limit means (ALL_WORDS: every word in the GloVe file). */
export function targetWordCount(limit: number, gloveFile?: string): number {
  const available = readGloveSize(gloveFile);
  return limit === ALL_WORDS ? available : Math.min(limit, available);
}

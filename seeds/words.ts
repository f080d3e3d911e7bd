// Loads GloVe words into the `words` table, then builds the HNSW index.
// Resumable: batches are committed in rank order, a re-run continues after the
// last committed rank and never inserts a word twice.
import { ALL_WORDS } from '../src/config.js';
import { type GloveWord, readGloveSize, readGloveWords } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { SeedStateRepository } from '../src/repositories/seedStateRepository.js';
import type { WordRepository } from '../src/repositories/wordRepository.js';
import { createProgress } from '../src/lib/progress.js';

export const WORDS_PHASE = 'words';
const BATCH_SIZE = 5_000;

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

export async function seedWords(
  words: WordRepository,
  seedState: SeedStateRepository,
  options: SeedWordsOptions,
  logger: Logger,
): Promise<SeedWordsResult> {
  const target = targetWordCount(options.limit, options.gloveFile);
  const done = await seedState.completed();
  const previous = done.get(WORDS_PHASE);
  const start = await words.nextRank();
  if (previous && start >= target && (await words.hasIndex())) {
    return { skipped: true, words: start, loadSeconds: 0, indexSeconds: 0 };
  }
  await seedState.clear(WORDS_PHASE);

  const loadStarted = Date.now();
  if (start < target) await loadWords(words, start, target, options.gloveFile, logger);
  const loadSeconds = (Date.now() - loadStarted) / 1000;

  const indexStarted = Date.now();
  logger.info('building the HNSW index on words (cosine)');
  await words.createIndex(options.indexMemory);
  await words.analyze();
  const indexSeconds = (Date.now() - indexStarted) / 1000;
  const count = await words.count();
  logger.info(`words ready: ${count} words, load ${loadSeconds.toFixed(1)} s, index ${indexSeconds.toFixed(1)} s`);
  await seedState.markDone(WORDS_PHASE, { words: count, loadSeconds, indexSeconds });
  return { skipped: false, words: count, loadSeconds, indexSeconds };
}

/** How many words a limit means (ALL_WORDS: every word in the GloVe file). */
export function targetWordCount(limit: number, gloveFile?: string): number {
  const available = readGloveSize(gloveFile);
  return limit === ALL_WORDS ? available : Math.min(limit, available);
}

/** Inserts the words of ranks start..target-1, a batch per transaction, and drops the index. */
export async function loadWords(
  words: WordRepository,
  start: number,
  target: number,
  gloveFile: string | undefined,
  logger: Logger,
): Promise<void> {
  // Maintaining HNSW row by row is far slower than one build after the load.
  await words.dropIndex();
  logger.info(`seeding words ${start}..${target - 1} from GloVe 6B 100d`);
  const progress = createProgress('words', target, 'words', process.stderr, start);
  let batch: GloveWord[] = [];
  for await (const word of readGloveWords({ limit: target, fromRank: start, file: gloveFile })) {
    batch.push(word);
    if (batch.length === BATCH_SIZE) {
      await words.insertBatch(batch);
      progress.tick(batch.length);
      batch = [];
    }
  }
  if (batch.length > 0) {
    await words.insertBatch(batch);
    progress.tick(batch.length);
  }
  progress.finish();
}

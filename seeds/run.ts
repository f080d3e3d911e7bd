// The seed runner: every phase, each skipping or resuming finished work, so
// `npm run seed` and every start can run it again safely. Each question is
// answered as soon as its data exists: the words first (then answered from
// memory), then the word index on the database's thread beside the images on
// every core, then the image projection, the image → word model and the
// caption transfer. Once the four questions are ready, the reference set
// (seeds/reference.ts) in the background, then the image → word model trained
// again with it (seeds/referenceModel.ts): every step after readiness runs in
// short statements, so questions are answered in between.
import { availableParallelism } from 'node:os';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { type Embedder } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { Repositories } from '../src/repositories/index.js';
import type { Metrics } from '../src/services/metrics.js';
import { SEED_PHASES, WARMUP_PHASES, type WarmupPhase } from '../src/services/seedPhases.js';
import type { Warmup } from '../src/services/warmup.js';
import { ensurePascal } from '../src/assets/ensure.js';
import { listPascalImages } from '../src/dataset/pascal.js';
import { compactPhotos } from './compact.js';
import { seedDuplicates } from './duplicates.js';
import { seedReference } from './reference.js';
import { seedReferenceModel } from './referenceModel.js';
import { seedTransfer } from './transfer.js';
import { seedImageProjection } from './imageProjection.js';
import { embedPlannedImages, imageSeedStores, planImages } from './images.js';
import { seedWordModel, trainingWords, wordModelOptions, type WordModelDeps } from './wordModel.js';
import { SeedTimeline } from './timeline.js';
import { buildWordIndex, loadWords, loadWordsBeyondLimit } from './words.js';

export interface SeedOptions {
  /** Train the image → word model again even if a current one is saved (`npm run train`). */
  retrainWordModel?: boolean;
  /** A recipe of seeds/wordModelRecipes.ts; default: the default model's. */
  wordModelRecipe?: string;
  /** Awaited as each phase that has work to do starts (the warm-up tests ask questions there). */
  duringPhase?: (phase: WarmupPhase) => Promise<void>;
  /** Called once the four questions are ready, before the background phases (the reference set). */
  onReady?: () => void;
}

export interface SeedDeps {
  config: Config;
  logger: Logger;
  db: Database;
  repositories: Repositories;
  embedder: Embedder;
  /** What is ready so far, for the questions asked meanwhile. */
  warmup: Warmup;
  /** Counts training runs. */
  metrics: Pick<Metrics, 'modelTrained'>;
  /** Starts loading the image model (once). */
  loadModels: () => Promise<void>;
}

/** Rows rewritten, as a share of the table, that make the seed compact it afterwards. */
const COMPACT_SHARE = 0.2;

/**
 * After a phase that rewrote photo rows: the embedded store has no autovacuum,
 * and without a VACUUM between them each phase's rewrite took new pages: 100
 * photos filled 3.1 MB of table, 2.2–2.4 MB with these (a plain VACUUM lets
 * the next phase reuse the space; only the tail's empty pages are returned,
 * and a VACUUM FULL's 0.4 MB would hold the store while questions wait).
 */
async function freeRewrittenRows(repositories: Repositories, db: Database, rewritten: number): Promise<void> {
  if (rewritten === 0) return;
  // 1,000 photos' dead rows held the embedded store 2 s: questions are refused meanwhile, not kept waiting.
  const vacuum = () => repositories.images.removeDeadRows();
  await (storeBusy(db)?.('freeing the rewritten photo rows', 3, vacuum) ?? vacuum());
}

/** The embedded store's one connection, closed to questions while a long write runs (they are refused, not kept waiting). */
function storeBusy(db: Database): WordModelDeps['whileStoreBusy'] {
  return db.kind === 'pglite' ? (what, estimateSeconds, write) => db.gate.closedWhile(what, estimateSeconds, write) : undefined;
}

/** Seconds a phase takes before it has measured itself: rough, for "about N s" while warming up. */
const PHASE_ESTIMATES = {
  wordsPerSecond: 4_000,
  indexWordsPerSecond: 1_100,
  imageSecondsPerCore: 0.12,
  projectionSeconds: 3,
  modelSeconds: 60,
  /** The reference set: 7,091 small photos (224×224), embedded on every core, stored and taught. */
  referenceSeconds: 600,
};

/** Plans the phases an earlier run has not finished, so "about N s" adds up what is left. */
async function planWarmup({ config, repositories, warmup }: SeedDeps, seedWorkers: number): Promise<void> {
  const done = await repositories.seedState.completed();
  const words = config.words.limit || 400_000;
  const images = config.images.limit || 1_000;
  const plans: Record<WarmupPhase, [seconds: number, total: number]> = {
    words: [words / PHASE_ESTIMATES.wordsPerSecond, words],
    wordIndex: [words / PHASE_ESTIMATES.indexWordsPerSecond, 0],
    images: [(images * PHASE_ESTIMATES.imageSecondsPerCore) / seedWorkers, images],
    projection: [PHASE_ESTIMATES.projectionSeconds, 0],
    model: [PHASE_ESTIMATES.modelSeconds, 0],
    reference: [PHASE_ESTIMATES.referenceSeconds, 0],
  };
  for (const phase of WARMUP_PHASES) {
    if (phase === 'reference' && config.referenceSet === 'none') continue;
    if (!done.has(SEED_PHASES[phase].record)) warmup.plan(phase, ...plans[phase]);
  }
}

/** Both settle; the first failure is thrown (neither is left running unobserved). */
async function bothSettled(first: Promise<unknown>, second: Promise<unknown>): Promise<void> {
  const outcomes = await Promise.allSettled([first, second]);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

export async function runSeeds(deps: SeedDeps, options: SeedOptions = {}): Promise<void> {
  const { config, logger, db, repositories, embedder, warmup } = deps;
  const seedWorkers = Math.max(config.embedWorkers, availableParallelism());
  await planWarmup(deps, seedWorkers);
  // Phases an earlier run finished are not planned, and stay ready throughout.
  const enter = async (phase: WarmupPhase, total?: number, done?: number) => {
    if (!warmup.planned(phase)) return;
    warmup.start(phase, total, done);
    await options.duringPhase?.(phase);
  };
  const wordOptions = {
    limit: config.words.limit,
    indexMemory: db.kind === 'pglite' ? '256MB' : '1GB',
    gloveFile: config.words.gloveFile,
  };
  const timeline = new SeedTimeline(logger);
  // Beside the words: their pass over GloVe also reads the photos' class and
  // caption words beyond WORDS_LIMIT (every photo's, whatever IMAGES_LIMIT), so
  // the file is read once. Observed now, thrown where it is awaited.
  const pascal = ensurePascal(config.assets, (message) => logger.info(message));
  pascal.catch(() => undefined);
  const tagWords = config.wordSpace.tagVocabularySize;
  await enter('words');
  const loaded = await timeline.run('words', [], () =>
    loadWords(repositories.words, repositories.seedState, wordOptions, logger, {
      onProgress: (done, total) => warmup.progress('words', done, total),
      neededBeyondLimit: async () => {
        await pascal;
        return { texts: trainingWords(listPascalImages(config.assets.dir)), tagWords };
      },
    }),
  );
  if (loaded.table) warmup.useWordTable(loaded.table);
  warmup.finish('words');
  // After the words, which it would slow down: the images need it next.
  if (warmup.planned('images')) void deps.loadModels().catch(() => undefined);

  // The photos and the image model are needed only when images are missing: a restart waits for neither.
  await pascal;
  const imageOptions = { assetsDir: config.assets.dir, limit: config.images.limit };
  const imageStores = imageSeedStores(repositories, embedder, config.images.efSearch);
  const plan = await planImages(imageStores, embedder, imageOptions, logger);
  const wordIndex = loaded.skipped
    ? Promise.resolve()
    : timeline.run('wordIndex', ['words'], () =>
        buildWordIndex(repositories.words, repositories.seedState, loaded, wordOptions, logger, {
          aroundIndexBuild: (estimate, build) => {
            warmup.plan('wordIndex', estimate);
            // The embedded store answers nothing while it builds: questions that need it are refused at once.
            const busy = storeBusy(db);
            const gated = <T>(work: () => Promise<T>) => (busy ? busy(SEED_PHASES.wordIndex.what, estimate, work) : work());
            return gated(async () => {
              await enter('wordIndex');
              return build();
            });
          },
          indexProgress: db.kind === 'postgres' ? () => repositories.words.indexBuildProgress() : undefined,
        }),
      ).then(() => {
        warmup.dropWordTable();
        warmup.finish('wordIndex');
      });
  // Observed at once: a build that fails while the models load is thrown by
  // bothSettled below, not an unhandled rejection that ends the process.
  wordIndex.catch(() => undefined);
  if (!plan.skipped) await deps.loadModels();
  warmup.storedImages(plan.stored);
  // Every core embeds while seeding; serving leaves one to the event loop.
  embedder.setImageWorkers(seedWorkers);
  const images = enter('images', plan.wanted, plan.stored)
    .then(() =>
      timeline.run('images', ['words', 'image model'], () =>
        embedPlannedImages(imageStores, embedder, plan, logger, {
          onEmbedded: (embedded, total) => warmup.progress('images', embedded, total),
          onStored: (stored) => warmup.storedImages(stored),
        }),
      ),
    )
    .finally(() => embedder.setImageWorkers(config.embedWorkers))
    .then(() => warmup.finish('images'));
  // The projection reads no word: on a server it runs beside the word index
  // build. The embedded store builds it on its only connection, where the
  // projection's reads would just queue behind it.
  const projectionWaitsFor = db.kind === 'postgres' ? ['images'] : ['images', 'wordIndex'];
  const projected = (db.kind === 'postgres' ? images : bothSettled(wordIndex, images)).then(async () => {
    await enter('projection');
    const fitted = await timeline.run('projection', projectionWaitsFor, () =>
      seedImageProjection(repositories, logger, undefined, plan.skipped),
    );
    await freeRewrittenRows(repositories, db, fitted.reprojected);
    warmup.finish('projection');
    return fitted;
  });
  await bothSettled(wordIndex, projected);
  const projection = await projected;
  // A store whose words an earlier run loaded: the words pass above did not read them.
  if (warmup.planned('model') && !loaded.beyondLimitLoaded) {
    // Before training reads them: a WORDS_LIMIT below them must not stop the seed.
    const texts = trainingWords(await repositories.wordSpace.trainingImages());
    await loadWordsBeyondLimit(repositories.words, { texts, tagWords: config.wordSpace.tagVocabularySize }, wordOptions, logger);
  }
  await enter('model');
  const modelOptions = { ...wordModelOptions(config.wordSpace, options.wordModelRecipe), retrain: options.retrainWordModel };
  const model = await timeline.run('model', ['projection', 'wordIndex'], () =>
    seedWordModel({ ...repositories, embedder, whileStoreBusy: storeBusy(db) }, modelOptions, logger),
  );
  if (model.trained) deps.metrics.modelTrained(model.trained.seconds);
  await freeRewrittenRows(repositories, db, model.projected);
  warmup.finish('model');
  const transferred = await timeline.run('transfer', ['model'], () =>
    seedTransfer(repositories, config.images.efSearch, logger),
  );
  // After the projection: a backfilled photo's candidates are its nearest by the searched vector.
  const hashed = await timeline.run('duplicates', ['projection'], () => seedDuplicates(repositories, logger));
  // These phases rewrite image rows; searches scan them, so leave no dead copies behind. Only
  // after rewrites of a good share of the table (a first start): the VACUUM reads the whole
  // table and its indexes while questions wait, which a restart's few stale transfers are not worth.
  const rewritten = projection.reprojected + model.projected + transferred + hashed;
  if (rewritten > 0 && rewritten >= COMPACT_SHARE * (await repositories.images.count(undefined, 'withReference'))) {
    await timeline.run('compact', ['transfer', 'duplicates'], () => compactPhotos(repositories.images, logger));
  }
  options.onReady?.();
  if (warmup.planned('reference')) {
    // Answers improve while it runs: it never holds readiness back.
    await deps.loadModels();
    embedder.setImageWorkers(seedWorkers);
    try {
      await timeline.run('reference', ['model', 'transfer'], () =>
        seedReference(deps, {
          onPlanned: (total, stored) => warmup.start('reference', total, stored),
          onStored: (stored, total) => warmup.progress('reference', stored, total),
        }),
      );
    } catch (err) {
      // The server answers without it; the next start resumes it.
      logger.error(`the reference set was not loaded: ${(err as Error).message} (REFERENCE_SET=none turns it off)`);
    } finally {
      embedder.setImageWorkers(config.embedWorkers);
      warmup.finish('reference');
    }
  }
  // Also on a restart after a stop between the two: it reads its seed state row and finds nothing to do.
  try {
    await seedReferenceModel(deps, modelOptions);
  } catch (err) {
    logger.error(`the image → word model was not trained again with the reference set: ${(err as Error).message}; the next start tries again`);
  }
}

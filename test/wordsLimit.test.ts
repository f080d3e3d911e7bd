// A WORDS_LIMIT below the words the seed needs still seeds, on both stores:
// class words ('motorbike' is GloVe's 23,565th word), caption words and the
// tag vocabulary are loaded beyond the limit with their own ranks; a restart
// adds nothing, and a larger limit later resumes at the limit, not after them;
// a caption word beyond the limit is still found by caption (issue 26).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { glovePackagePath, readGloveVocabulary } from '../src/embedding/glove.js';
import { isTagWord } from '../src/embedding/index.js';
import { createLogger } from '../src/logger.js';
import { loadWords, loadWordsBeyondLimit } from '../seeds/words.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { buildTestAssets, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');
const LIMIT = 20_000;
/** Each has a class word past rank 20,000: motorbike, aeroplane, potted (plant). */
const CATEGORIES = ['motorbike', 'aeroplane', 'pottedplant'];

async function wordCounts(t: TestApp, below: number): Promise<{ all: number; below: number }> {
  const result = await t.app.db.primary.query<{ all: number; below: number }>(
    'SELECT count(*)::int AS all, count(*) FILTER (WHERE rank < $1)::int AS below FROM words',
    [below],
  );
  return result.rows[0]!;
}

/** A larger limit later resumes at the first rank not stored, at or just after `limit`, not after the words beyond it. */
async function assertResumesAtFirstGap(t: TestApp, limit: number): Promise<void> {
  const next = await t.app.repositories.words.nextRank();
  assert.ok(next >= limit, `${next}`);
  assert.equal((await wordCounts(t, next)).below, next, 'every rank below it is stored');
  const stored = await t.app.db.primary.query('SELECT 1 FROM words WHERE rank = $1', [next]);
  assert.equal(stored.rowCount, 0, 'and it is not');
}

for (const kind of storeKinds()) {
  describe(`WORDS_LIMIT=${LIMIT} with the real GloVe words on ${kind}`, () => {
    let t: TestApp;
    let assets: TestAssets;
    let vocabulary: string[];

    before(async () => {
      assets = buildTestAssets(CATEGORIES, 12);
      vocabulary = await readGloveVocabulary();
      t = await createTestApp(kind, {
        GLOVE_FILE: glovePackagePath(),
        WORDS_LIMIT: String(LIMIT),
        IMAGES_LIMIT: '0',
        ASSETS_DIR: assets.dir,
        ASSETS_DOWNLOAD: 'false',
      });
    });
    after(async () => {
      await t?.close();
      rmSync(assets.dir, { recursive: true, force: true });
    });

    test('the first start seeds: the class words beyond the limit are loaded with their ranks, and the model answers', async () => {
      await t.app.seed();
      const counts = await wordCounts(t, LIMIT);
      assert.equal(counts.below, LIMIT, 'every word up to the limit');
      assert.ok(counts.all > LIMIT, 'and the needed ones beyond it');
      const stored = await t.app.db.primary.query<{ text: string; rank: number }>(
        "SELECT text, rank FROM words WHERE text = ANY('{motorbike,aeroplane,potted}') ORDER BY rank",
      );
      assert.deepEqual(
        stored.rows.map((row) => [row.text, row.rank]),
        ['motorbike', 'potted', 'aeroplane'].map((word) => [word, vocabulary.indexOf(word)]),
      );
      const motorbike = await t.app.db.primary.query<{ id: string }>("SELECT id FROM images WHERE category = 'motorbike' LIMIT 1");
      const tags = await t.app.services.imageText.tagsForImage({ id: motorbike.rows[0]!.id, first: 5 });
      assert.equal(tags.length, 5);
      const runs = await t.app.services.metrics.registry.getSingleMetric('semsearch_model_training_runs_total')!.get();
      assert.equal(runs.values[0]!.value, 1);
      // The words beyond the limit are caption and class words the training images use, not a rank range.
      assert.ok(counts.all - LIMIT < 1_000, `${counts.all - LIMIT} words beyond the limit`);
    });

    test('a restart seeds nothing and adds no word', async () => {
      const before = await wordCounts(t, LIMIT);
      await t.app.seed();
      assert.deepEqual(await wordCounts(t, LIMIT), before);
      await assertResumesAtFirstGap(t, LIMIT);
    });

    test('a caption word beyond the limit: imagesForText finds it by caption in KEYWORD and HYBRID, naming it unknown', async () => {
      assert.ok(vocabulary.indexOf('zebra') >= LIMIT, 'zebra is beyond the limit');
      assert.equal((await t.app.repositories.words.findVectors(['zebra'])).size, 0, 'and has no vector here');
      const [photo] = await t.app.repositories.images.page(1, null);
      await t.app.services.images.updateImage(photo!.id, { captions: ['A zebra grazing beside a wooden gate.'] });
      for (const mode of ['KEYWORD', 'HYBRID'] as const) {
        const answer = await t.app.services.imageText.imagesForText({ text: 'zebra', mode });
        assert.deepEqual(answer.matches.map((m) => m.image.id), [photo!.id], mode);
        assert.deepEqual(answer.unknownWords, ['zebra'], mode);
      }
    });
  });

  describe(`words beyond a limit, then a larger limit, on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind, { WORDS_LIMIT: '100' });
    });
    after(async () => t?.close());

    test('the tag vocabulary and needed words load past the limit; a larger limit then loads every word once', async () => {
      const gloveFile = t.env.GLOVE_FILE;
      const { words, seedState } = t.app.repositories;
      const options = { limit: 100, indexMemory: '64MB', gloveFile };
      await loadWords(words, seedState, options, quiet);
      const testVocabulary = await readGloveVocabulary(gloveFile);
      const tagWords = 120;
      const added = await loadWordsBeyondLimit(words, { texts: ['motorbike', 'notagloveword'], tagWords }, options, quiet);
      const stored = await t.app.db.primary.query<{ text: string }>('SELECT text FROM words ORDER BY rank');
      const texts = stored.rows.map((row) => row.text);
      assert.equal(texts.length, 100 + added);
      assert.ok(texts.includes('motorbike'));
      const firstTagWords = testVocabulary.filter(isTagWord).slice(0, tagWords);
      assert.ok(firstTagWords.every((word) => texts.includes(word)), 'the tag vocabulary is complete');
      const beyond = texts.filter((word) => testVocabulary.indexOf(word) >= 100);
      assert.ok(beyond.every((word) => word === 'motorbike' || firstTagWords.includes(word)), `only needed words: ${beyond}`);
      assert.equal(await loadWordsBeyondLimit(words, { texts: ['motorbike'], tagWords }, options, quiet), 0, 'nothing twice');
      await assertResumesAtFirstGap(t, 100);

      await loadWords(words, seedState, { ...options, limit: 0 }, quiet);
      assert.deepEqual((await wordCounts(t, testVocabulary.length)).all, testVocabulary.length);
    });
  });
}

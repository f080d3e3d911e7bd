// The seed's work after readiness (the caption transfer, the compaction, the
// reference set and the model trained again with it) lets questions through,
// on each store: a question asked while a long refresh of caption transfers
// runs is answered between its transactions, before the refresh is done; one
// asked as the image → word model is trained again, before every photo is
// projected again; and the compaction rewrites no table and runs as short
// statements, the rows it moves off the table's tail a few at a time (a rewrite, or one ANALYZE of a large table, holds the embedded
// store's one connection for seconds: questions asked right after readiness,
// or at the reference set's end, were answered TIMEOUT).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { l2Normalize } from '../src/lib/vectors.js';
import { ROWS_PER_MOVE } from '../src/repositories/tailRows.js';
import { createLogger } from '../src/logger.js';
import { retrainOnCaptioned } from '../seeds/referenceModel.js';
import { wordModelOptions } from '../seeds/wordModel.js';
import { seedWords } from '../seeds/words.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { storeKinds } from './helpers/stores.js';
import { photoRow, pseudoVector } from './helpers/textPhotos.js';

const PHOTOS = 120;
const WORDS = ['dog', 'cat', 'horse', 'boat', 'car', 'tree'];

for (const kind of storeKinds()) {
  describe(`work after readiness lets questions through, on ${kind}`, () => {
    let t: TestApp;
    serveDuringSuite(kind, (app) => {
      t = app;
    });

    const wordVectorOf = async (id: string) =>
      (await t.app.db.primary.query<{ v: string }>('SELECT word_embedding::text AS v FROM images WHERE id = $1', [id])).rows[0]!.v;

    async function storeStalePhotos(): Promise<void> {
      const { words, seedState, images } = t.app.repositories;
      await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, createLogger('silent'));
      const vectors = await words.findVectors(WORDS);
      const rows = Array.from({ length: PHOTOS }, (_, i) => {
        const word = WORDS[i % WORDS.length]!;
        return photoRow({
          id: `photo-${String(i).padStart(3, '0')}`,
          category: null,
          // Every other photo captioned: each has captioned neighbours to learn from.
          captions: i % 2 === 0 ? [`A ${word} in a picture.`] : [],
          embedding: pseudoVector(`photo-${i}`),
          wordEmbedding: l2Normalize(vectors.get(word)!),
        });
      });
      await images.insert(rows);
      assert.equal(await t.app.repositories.transfers.countStale(), PHOTOS, 'every stored photo waits for its transfer');
    }

    test('a question asked while the caption transfers are refreshed is answered before the refresh is done', async () => {
      await storeStalePhotos();
      let refreshed = 0;
      const refresh = t.app.services.transfer.refresh((count) => {
        refreshed += count;
      });
      // Asked as the refresh takes the store: it waits for one short transaction, not for all of them.
      const answer = t.app.services.words.similarWords('dog', 3).then(() => refreshed);
      const [refreshedWhenAnswered, total] = await Promise.all([answer, refresh]);
      assert.equal(total, PHOTOS);
      assert.ok(refreshedWhenAnswered < PHOTOS, `answered after ${refreshedWhenAnswered} of ${PHOTOS} photos were refreshed`);
      assert.equal(await t.app.repositories.transfers.countStale(), 0);
    });

    // The embedded store runs one transaction at a time: no row is ever held by another.
    if (kind === 'postgres') {
      test('a refresh leaves no photo stale whose row another transaction held meanwhile (the compaction moving it)', async () => {
        const ids = ['photo-000', 'photo-001', 'photo-002'];
        await t.app.db.primary.query('UPDATE images SET transfer_radius = NULL WHERE id = ANY($1::text[])', [ids]);
        const holder = await t.app.db.primary.connect();
        try {
          // As the compaction's `UPDATE … SET id = id` holds the rows it moves.
          await holder.query('BEGIN');
          await holder.query('SELECT id FROM images WHERE id = $1 FOR UPDATE', [ids[1]]);
          const refresh = t.app.services.transfer.refresh();
          await new Promise((resolve) => setTimeout(resolve, 150));
          await holder.query('COMMIT');
          assert.equal(await refresh, ids.length, 'the held photo is refreshed once its row is free');
        } finally {
          holder.release();
        }
        assert.equal(await t.app.repositories.transfers.countStale(), 0);
      });
    }

    test('questions asked one after another while the compaction runs are answered between its statements', async () => {
      // Over the photos the first test stored and refreshed (the suite shares one store).
      let compacted = false;
      const compaction = t.app.repositories.images.compact().then(() => {
        compacted = true;
      });
      // Each question waits for the statement running, not for the whole compaction.
      let answeredMeanwhile = 0;
      while (!compacted) {
        await t.app.services.words.similarWords('dog', 3);
        if (!compacted) answeredMeanwhile++;
      }
      await compaction;
      assert.ok(answeredMeanwhile >= 3, `${answeredMeanwhile} questions answered while the compaction ran`);
      const analyzed = await t.app.db.primary.query<{ n: number }>(
        "SELECT count(DISTINCT attname)::int AS n FROM pg_stats WHERE tablename = 'images' AND attname IN ('id', 'captions', 'embedding', 'reference')",
      );
      assert.equal(analyzed.rows[0]!.n, 4, 'every column has its statistics');
    });

    test("the compaction moves the rows at the table's tail into the pages freed before it, a few rows a statement: the table shrinks and questions are answered between the moves", async () => {
      const { images } = t.app.repositories;
      const pages = async () =>
        (await t.app.db.primary.query<{ n: number }>("SELECT (pg_relation_size('images') / current_setting('block_size')::int)::int AS n")).rows[0]!.n;
      // As the seed's phases do: every row rewritten again and again, each time after a VACUUM, and
      // the live rows end at the tail of a table several times their size.
      for (let i = 0; i < 3; i++) {
        await images.removeDeadRows();
        await t.app.db.primary.query('UPDATE images SET embedding = embedding::text::vector');
      }
      await images.removeDeadRows();
      const before = await pages();
      let compacted = false;
      const compaction = images.compact().then((move) => {
        compacted = true;
        return move;
      });
      let answeredMeanwhile = 0;
      while (!compacted) {
        await t.app.services.words.similarWords('dog', 3);
        if (!compacted) answeredMeanwhile++;
      }
      const move = await compaction;
      const after = await pages();
      assert.ok(move.moved > 0, `no row moved (${before} pages, ${move.livePages} of them with rows)`);
      assert.ok(after <= move.livePages && after < before, `${after} pages after the compaction, ${before} before, rows in ${move.livePages}`);
      const moves = Math.ceil(move.moved / ROWS_PER_MOVE);
      assert.ok(answeredMeanwhile >= moves, `${answeredMeanwhile} questions answered during ${moves} or more moves`);
      assert.equal(await images.count(undefined, 'withReference'), PHOTOS, 'every photo is still there');
    });

    test('a question asked while the image → word model is trained again with the reference set is answered before every photo is projected again', async () => {
      const { words, images } = t.app.repositories;
      const vectors = await words.findVectors(WORDS);
      // Pascal's photos (a category each, 20 of each: 4 held out) beside the captioned photos stored above.
      await images.insert(
        Array.from({ length: 120 }, (_, i) => {
          const word = WORDS[i % WORDS.length]!;
          const row = photoRow({
            id: `pascal-${String(i).padStart(3, '0')}`,
            category: word,
            captions: [`A ${word} in a picture.`],
            embedding: pseudoVector(`pascal-${i}`),
            wordEmbedding: l2Normalize(vectors.get(word)!),
          });
          return { ...row, origin: 'pascal' };
        }),
      );
      const before = await wordVectorOf('photo-001');
      const total = await images.count(undefined, 'withReference');
      let projected = 0;
      const retrain = retrainOnCaptioned(
        { config: t.app.config, logger: createLogger('silent'), repositories: t.app.repositories, embedder: t.app.embedder },
        wordModelOptions(t.app.config.wordSpace),
        (done) => (projected = done),
      );
      const answer = t.app.services.words.similarWords('dog', 3).then(() => projected);
      const [projectedWhenAnswered, result] = await Promise.all([answer, retrain]);
      assert.equal(result.trained.trainImages, 96 + PHOTOS / 2, "Pascal's 96 training photos and the 60 captioned others");
      assert.equal(result.projected, total);
      assert.ok(projectedWhenAnswered < total, `answered after ${projectedWhenAnswered} of ${total} photos were projected again`);
      assert.notDeepEqual(await wordVectorOf('photo-001'), before, 'projected by the new model');
      assert.equal(await t.app.repositories.wordSpace.countUnprojected(), 0);
    });

    test('the compaction after the transfer rewrites no table: questions are not held while it runs', async () => {
      const fileOf = async () =>
        (await t.app.db.primary.query<{ file: string }>("SELECT pg_relation_filenode('images')::text AS file")).rows[0]!.file;
      const before = await fileOf();
      await t.app.repositories.images.compact();
      assert.equal(await fileOf(), before, 'the table was rewritten (VACUUM FULL holds it exclusively)');
    });
  });
}

// The ranked lists people steer, over HTTP on each store, on photos whose
// word-space vectors and captions the test chooses: a caption word without a
// word vector, pages (pages 1–3 are one query of three pages' `first`, and
// imagesForText's deeper tiers repeat nothing), "-word" and `exclude`, the
// relevance cut and the parts of each match's score.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunningServer } from '../src/http/server.js';
import { FUSION_DEPTH, RRF_K, textSearchOptions, checkTextQuery } from '../src/services/imageTextService.js';
import { CUT_RATIO } from '../src/services/relevanceCut.js';
import { readPage } from '../src/services/textPages.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql, postGraphQL } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import { storePhotos, type Photo } from './helpers/textPhotos.js';
import type { MatchScores } from '../src/services/matchScores.js';

const PHOTOS: Photo[] = [
  { id: 'dog-lawn', near: 'dog', category: 'dog', captions: ['A dog runs on the lawn.'] },
  { id: 'dog-ball', near: 'dog', category: 'dog', captions: ['Two dogs play with a ball.'] },
  { id: 'dog-sofa', near: 'dog', category: 'dog', captions: ['A dog asleep on a sofa.'] },
  // Its caption does not say sofa, but in word space it sits at 'sofa'.
  { id: 'dog-home', near: 'sofa', category: 'dog', captions: ['A dog resting at home.'] },
  // Its caption says couch, and it sits at 'couch': close to 'sofa' (cosine 0.68), not close enough to be dropped.
  { id: 'dog-couch', near: 'couch', category: 'dog', captions: ['A dog lying on a couch.'] },
  { id: 'puppy', near: 'puppy', category: 'dog', captions: [] },
  { id: 'cat-sofa', near: 'cat', category: 'cat', captions: ['A cat curled up on a sofa.'] },
  { id: 'kitten', near: 'kitten', category: 'cat', captions: [] },
  { id: 'horse', near: 'horse', category: 'horse', captions: ['A horse in a field.'] },
  { id: 'car', near: 'car', category: 'car', captions: ['A red car parked beside a tree.'] },
  { id: 'bus', near: 'bus', category: 'car', captions: ['A bus on a street.'] },
  { id: 'boat', near: 'boat', category: 'boat', captions: ['A boat on the sea.'] },
  { id: 'beach', near: 'beach', category: 'boat', captions: ['People on a beach by the ocean.'] },
];

const MATCH = 'image { id } distance cursor scores { rankScore cosine vote vectorScore vectorRank keywordScore keywordRank cutScore keptByCut }';
const TEXT = `query ($text: String!, $first: Int, $after: String, $mode: TextSearchMode, $cut: Cut, $exclude: [String!]) {
  imagesForText(text: $text, first: $first, after: $after, mode: $mode, cut: $cut, exclude: $exclude) { ${MATCH} } }`;
const SIMILAR = `query ($id: ID!, $first: Int, $after: String, $cut: Cut) {
  similarImages(id: $id, first: $first, after: $after, cut: $cut) { ${MATCH} } }`;
const WORDS = `query ($word: String!, $first: Int, $after: String) {
  similarWords(word: $word, first: $first, after: $after) { word { text } distance cursor } }`;

type Scores = MatchScores;
interface Match {
  image: { id: string };
  distance: number;
  cursor: string;
  scores: Scores;
}

for (const kind of storeKinds()) {
  describe(`pages, unknown words, exclusions and the cut on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let stored: Promise<unknown> | undefined;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    async function ask<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      stored ??= storePhotos(t, PHOTOS);
      await stored;
      const answer = await gql(server.url, query, variables);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return Object.values(answer.data!)[0] as T;
    }
    async function errorCode(query: string, variables: Record<string, unknown>): Promise<string | undefined> {
      stored ??= storePhotos(t, PHOTOS);
      await stored;
      return (await gql(server.url, query, variables)).errors?.[0]?.extensions?.code;
    }
    const ids = (matches: { image: { id: string } }[]) => matches.map((m) => m.image.id);

    /** Pages 1–3 of 3 through each page's last cursor, and one query of first 9. */
    async function threePages<M extends { cursor: string }>(query: string, variables: Record<string, unknown>) {
      const pages: M[] = [];
      let after: string | undefined;
      for (let page = 0; page < 3; page++) {
        const matches = await ask<M[]>(query, { ...variables, first: 3, after });
        pages.push(...matches);
        after = matches.at(-1)?.cursor;
        if (!after) break;
      }
      return { pages, whole: await ask<M[]>(query, { ...variables, first: 9 }) };
    }

    // First: no caption transfer has run yet, so each photo's searched vector is its word's (a caption change refreshes it).
    test('"-word" and exclude drop the photos whose captions use the word or that sit at it in word space', async () => {
      const all = ids(await ask<Match[]>(TEXT, { text: 'dog', first: 20 }));
      assert.ok(['dog-sofa', 'dog-home', 'dog-couch', 'cat-sofa'].every((id) => all.includes(id)), all.join(' '));
      for (const variables of [{ text: 'dog -sofa' }, { text: 'dog', exclude: ['sofa'] }, { text: 'dog -Sofa', exclude: ['sofas'] }]) {
        const kept = ids(await ask<Match[]>(TEXT, { ...variables, first: 20 }));
        assert.ok(!kept.includes('dog-sofa') && !kept.includes('cat-sofa'), `captions: ${kept.join(' ')}`);
        assert.ok(!kept.includes('dog-home'), `word space: ${kept.join(' ')}`);
        for (const dog of ['dog-lawn', 'dog-ball', 'puppy', 'dog-couch']) assert.ok(kept.includes(dog), `${dog} stays: ${kept.join(' ')}`);
      }
      assert.equal(await errorCode(TEXT, { text: '-sofa' }), 'BAD_USER_INPUT', 'nothing left to search for');
    });

    test('a caption word without a word vector: HYBRID and KEYWORD answer from captions and name it; VECTOR and a text matching nothing refuse', async () => {
      await ask(TEXT, { text: 'dog', first: 1 });
      assert.equal((await t.app.repositories.words.findVectors(['zebra'])).size, 0, 'the store has no vector for it');
      const update = await gql(server.url, 'mutation { updateImage(id: "horse", captions: ["A zebra grazing beside a wooden gate."]) { id } }');
      assert.equal(update.errors, undefined, JSON.stringify(update.errors));
      for (const mode of ['KEYWORD', 'HYBRID']) {
        const answer = await postGraphQL(server.url, { query: TEXT, variables: { text: 'zebra', mode } });
        const body = answer.body as { data: { imagesForText: Match[] }; errors?: unknown; extensions?: { unknownWords?: string[] } };
        assert.equal(body.errors, undefined, `${mode}: ${JSON.stringify(body.errors)}`);
        assert.deepEqual(ids(body.data.imagesForText), ['horse'], mode);
        assert.deepEqual(body.extensions?.unknownWords, ['zebra'], mode);
        assert.equal(body.data.imagesForText[0]!.scores.cosine, null, 'no vector: no cosine');
        const after = body.data.imagesForText[0]!.cursor;
        assert.deepEqual(await ask(TEXT, { text: 'zebra', mode, after }), [], 'the page after the last is empty, no error');
      }
      const mixed = await ask<Match[]>(TEXT, { text: 'zebra dog', first: 20 });
      assert.ok(ids(mixed).includes('horse') && ids(mixed).includes('dog-lawn'), 'the known word searches by vector beside it');
      assert.equal(await errorCode(TEXT, { text: 'zebra', mode: 'VECTOR' }), 'BAD_USER_INPUT');
      assert.equal(await errorCode(TEXT, { text: 'qqzx blorf' }), 'BAD_USER_INPUT', 'matches nothing and has no known word');
    });

    test('pages 1–3 of each paged query are one query of first 9; ties and cursors stay in order', async () => {
      for (const mode of ['HYBRID', 'VECTOR', 'KEYWORD']) {
        const text = mode === 'KEYWORD' ? 'dog sofa car bus boat horse cat ocean' : 'dog';
        const { pages, whole } = await threePages<Match>(TEXT, { text, mode });
        assert.deepEqual(ids(pages), ids(whole), mode);
        assert.ok(pages.length >= 6, `${mode}: ${pages.length}`);
      }
      const similar = await threePages<Match>(SIMILAR, { id: 'dog-lawn' });
      assert.deepEqual(ids(similar.pages), ids(similar.whole));
      assert.equal(similar.pages.length, 9);
      const words = await threePages<{ word: { text: string }; cursor: string }>(WORDS, { word: 'dog' });
      assert.deepEqual(words.pages.map((m) => m.word.text), words.whole.map((m) => m.word.text));
      assert.equal(words.pages.length, 9);
      const several = await threePages<{ word: { text: string }; cursor: string }>(WORDS, { word: 'red car' });
      assert.deepEqual(several.pages.map((m) => m.word.text), several.whole.map((m) => m.word.text));
    });

    test('a malformed cursor, one of another list or of another text, is BAD_USER_INPUT', async () => {
      const [word] = await ask<{ cursor: string }[]>(WORDS, { word: 'dog', first: 1 });
      const [text] = await ask<Match[]>(TEXT, { text: 'dog', first: 1 });
      for (const after of ['nope', Buffer.from('m1:{"kind":"text"}').toString('base64url'), word!.cursor]) {
        assert.equal(await errorCode(TEXT, { text: 'dog', after }), 'BAD_USER_INPUT', after);
        assert.equal(await errorCode(SIMILAR, { id: 'dog-lawn', after }), 'BAD_USER_INPUT', after);
      }
      assert.equal(await errorCode(WORDS, { word: 'dog', after: text!.cursor }), 'BAD_USER_INPUT');
      assert.equal(await errorCode(TEXT, { text: 'cat', after: text!.cursor }), 'BAD_USER_INPUT', 'another text');
    });

    test("imagesForText's deeper tiers go on past the first fused list with no repeats, to every photo", async () => {
      await ask(TEXT, { text: 'dog', first: 1 });
      const query = checkTextQuery({ text: 'dog sofa', first: 3 });
      const base = textSearchOptions(query, t.app.config.images.efSearch);
      const run = (options: typeof base) => t.app.repositories.textSearch.searchImages(query.tokens, query.text, options);
      // Rankings 2 deep at first: the first fused list holds 2 to 4 photos, and the pages go on through tiers.
      const seen: string[] = [];
      let start = { kind: 'text' as const, query: '', tier: 0, offset: 0 };
      for (let page = 0; page < 10; page++) {
        const rows = await readPage(run, base, 2, start, 3);
        if (rows.length === 0) break;
        seen.push(...rows.map((r) => r.row.id));
        start = rows.at(-1)!.cursor;
      }
      assert.ok(start.tier >= 2, `tier ${start.tier}`);
      assert.equal(new Set(seen).size, seen.length, `no repeats: ${seen.join(' ')}`);
      const all = await run({ ...base, candidates: FUSION_DEPTH, first: 100 });
      assert.deepEqual(new Set(seen), new Set(all.map((r) => r.id)), 'every photo the full search finds');
    });

    test('cut AUTO ends the list at the first large drop; scores say what made each rank', async () => {
      const none = await ask<Match[]>(TEXT, { text: 'dog', first: 20 });
      const auto = await ask<Match[]>(TEXT, { text: 'dog', first: 20, cut: 'AUTO' });
      const kept = none.filter((m) => m.scores.keptByCut).length;
      assert.ok(kept >= 1 && kept < none.length, `kept ${kept} of ${none.length}`);
      assert.deepEqual(ids(auto), ids(none).slice(0, kept));
      const drop = none[kept]!.scores.cutScore / none[kept - 1]!.scores.cutScore;
      assert.ok(drop < CUT_RATIO.HYBRID, `the drop at the cut: ${drop}`);
      for (let i = 1; i < kept; i++) assert.ok(none[i]!.scores.cutScore >= CUT_RATIO.HYBRID * none[i - 1]!.scores.cutScore);
      const top = none[0]!.scores;
      assert.ok(top.vectorRank !== null && top.keywordRank !== null, 'the best match is in both rankings');
      const fused = 1 / (RRF_K + top.vectorRank!) + 1 / (RRF_K + top.keywordRank!);
      assert.ok(Math.abs(top.rankScore - fused) < 1e-9, `${top.rankScore} is the fusion of its two ranks`);
      assert.ok(Math.abs(top.cosine! - (1 - none[0]!.distance)) < 1e-9);
      assert.ok(top.vectorScore !== null && top.keywordScore !== null && top.vote !== null);
      const uncaptioned = none.find((m) => m.image.id === 'puppy')!.scores;
      assert.equal(uncaptioned.keywordRank, null);
      assert.equal(uncaptioned.keywordScore, null);
      const similar = await ask<Match[]>(SIMILAR, { id: 'dog-lawn', first: 5, cut: 'AUTO' });
      assert.ok(similar.length >= 1 && similar.every((m) => m.scores.keptByCut));
      for (const match of similar) assert.ok(Math.abs(match.scores.rankScore - (1 - match.distance)) < 1e-9);
    });
  });
}

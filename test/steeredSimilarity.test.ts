// similarImages steered by a text ("like this photo, but…") over HTTP on each
// store, on photos whose image vectors, word-space vectors and captions the
// test chooses: a photo that matches the text overtakes a nearer one that
// does not; weight 0 is similarImages alone; arguments are checked; the
// query cost counts the text's search.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'graphql';
import { buildSchema } from '../src/graphql/schema.js';
import { queryCost } from '../src/http/queryCost.js';
import type { RunningServer } from '../src/http/server.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { createLogger } from '../src/logger.js';
import { fuseSteered } from '../src/services/steeredSimilarity.js';
import { seedWords } from '../seeds/words.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import { photoRow, pseudoVector } from './helpers/textPhotos.js';

/** The query photo's vector moved `away` towards a vector of its own: larger is further. */
const near = (name: string, away: number) => {
  const base = pseudoVector('query');
  const own = pseudoVector(name);
  return l2Normalize(base.map((x, i) => (1 - away) * x + away * own[i]!));
};

const PHOTOS = [
  { id: 'query', embedding: pseudoVector('query'), word: 'cat', captions: ['A cat on a chair.'] },
  { id: 'nearest-grass', embedding: near('nearest-grass', 0.2), word: 'cat', captions: ['A cat on the grass.'] },
  { id: 'next-tree', embedding: near('next-tree', 0.3), word: 'cat', captions: ['A cat under a tree.'] },
  { id: 'then-sofa', embedding: near('then-sofa', 0.4), word: 'cat', captions: ['A cat asleep on a sofa.'] },
  { id: 'far-street', embedding: near('far-street', 0.7), word: 'street', captions: ['A car on a street.'] },
];

const SIMILAR = `query ($id: ID, $text: String, $textWeight: Float, $first: Int) {
  similarImages(id: $id, text: $text, textWeight: $textWeight, first: $first) { image { id } distance matchedCaption } }`;

interface Match {
  image: { id: string };
  distance: number;
  matchedCaption: string | null;
}

for (const kind of storeKinds()) {
  describe(`similarImages with a text on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let stored = false;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    async function similar(variables: Record<string, unknown>): Promise<Match[]> {
      if (!stored) {
        const { words, seedState, images } = t.app.repositories;
        await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, createLogger('silent'));
        const vectors = await words.findVectors(['cat', 'street']);
        await images.insert(
          PHOTOS.map((photo) => photoRow({ ...photo, category: null, wordEmbedding: l2Normalize(vectors.get(photo.word)!) })),
        );
        stored = true;
      }
      const answer = await gql(server.url, SIMILAR, { id: 'query', first: 4, ...variables });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return answer.data!.similarImages as Match[];
    }
    const ids = (matches: Match[]) => matches.map((m) => m.image.id);

    test('alone, similarImages ranks by the photo; with text "sofa" the photo whose caption has it comes first', async () => {
      const alone = await similar({});
      assert.deepEqual(ids(alone), ['nearest-grass', 'next-tree', 'then-sofa', 'far-street']);
      const steered = await similar({ text: 'sofa' });
      assert.equal(steered[0]!.image.id, 'then-sofa', `${ids(steered)}`);
      assert.ok(ids(steered).indexOf('then-sofa') < ids(steered).indexOf('nearest-grass'));
      assert.equal(steered[0]!.matchedCaption, 'A cat asleep on a sofa.');
      const distanceOf = new Map(alone.map((m) => [m.image.id, m.distance]));
      for (const match of steered) assert.ok(Math.abs(match.distance - distanceOf.get(match.image.id)!) < 1e-6, 'distance stays the image distance');
    });

    test('textWeight 0 is the photo alone; 1 puts the text first', async () => {
      assert.deepEqual(ids(await similar({ text: 'sofa', textWeight: 0 })), ids(await similar({})));
      assert.equal((await similar({ text: 'sofa', textWeight: 1 }))[0]!.image.id, 'then-sofa');
    });

    test('unknown words are listed; textWeight without text or outside 0..1, and after or cut with text, are BAD_USER_INPUT', async () => {
      await similar({});
      const answer = await gql(server.url, SIMILAR, { id: 'query', text: 'zzqxv sofa' });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      assert.deepEqual((answer as { extensions?: { unknownWords?: string[] } }).extensions?.unknownWords, ['zzqxv']);
      for (const variables of [{ textWeight: 0.5 }, { text: 'sofa', textWeight: 1.5 }, { text: '   ' }]) {
        const refused = await gql(server.url, SIMILAR, { id: 'query', ...variables });
        assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables));
      }
      for (const steering of ['after: "x"', 'cut: AUTO']) {
        const refused = await gql(server.url, `{ similarImages(id: "query", text: "sofa", ${steering}) { image { id } } }`);
        assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', steering);
        assert.match(refused.errors![0]!.message, /with 'text', ask for up to 100 at once/);
      }
    });

    test('the same document costs more with a text than without: a cost known for one is not reused for the other', async () => {
      await similar({});
      const schema = buildSchema();
      const query = (nested: number) => `query ($text: String) {
        similarImages(id: "query", text: $text, first: 100) { image { similar(first: ${nested}) { distance } } } }`;
      // The largest nested list whose plain cost is allowed: with a text it is not.
      let nested = 1;
      while (queryCost(schema, parse(query(nested + 1)), {})! <= 5000) nested++;
      assert.ok(queryCost(schema, parse(query(nested)), { text: 'sofa' })! > 5000);
      for (const [text, refused] of [[null, false], ['sofa', true], [null, false]] as const) {
        const answer = await gql(server.url, query(nested), { text });
        assert.equal(answer.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT', refused, `text ${text}: ${JSON.stringify(answer.errors)}`);
      }
    });
  });
}

describe('steered fusion and its cost', () => {
  test('fuseSteered: weight 0 keeps the image order, 1 the text order (unranked last), ties keep the image order', () => {
    const byImage = ['a', 'b', 'c', 'd'];
    assert.deepEqual(fuseSteered(byImage, ['d', 'c'], 0), byImage);
    assert.deepEqual(fuseSteered(byImage, ['d', 'c'], 1), ['d', 'c', 'a', 'b']);
    assert.deepEqual(fuseSteered(byImage, [], 0.5), byImage);
  });

  test('a text makes similarImages cost an imagesForText search more', () => {
    const schema = buildSchema();
    const cost = (query: string) => queryCost(schema, parse(query), {})!;
    const plain = cost('{ similarImages(id: "x") { distance } }');
    const steered = cost('{ similarImages(id: "x", text: "snow") { distance } }');
    const text = cost('{ imagesForText(text: "snow") { distance } }');
    assert.ok(steered - plain >= text - cost('{ __typename }'), `${plain} ${steered} ${text}`);
  });
});

// imagesForText's three modes over HTTP on each store, on photos whose
// word-space vectors and captions the test chooses (real GloVe vectors, real
// full-text search), so each expectation is known in advance: photos without
// captions, a word found only in a caption, matchedCaption, maxDistance,
// category, and captions changed after storing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dot } from '../src/lib/vectors.js';
import type { RunningServer } from '../src/http/server.js';
import { storeSearcher } from '../src/eval/textSearchModes.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { countStatements } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';
import { storePhotos, type Photo } from './helpers/textPhotos.js';

const PHOTOS: Photo[] = [
  { id: 'dog-often', near: 'dog', category: 'dog', captions: ['A dog asleep on a dog bed.', 'The old dog and a younger dog.'] },
  { id: 'dog-once', near: 'puppy', category: 'dog', captions: ['A puppy on a lawn.', 'A brown dog runs on the grass.'] },
  { id: 'dog-uncaptioned', near: 'dog', category: 'dog', captions: [] },
  { id: 'cat-sofa', near: 'cat', category: 'cat', captions: ['A cat curled up on a sofa.'] },
  { id: 'kitten', near: 'kitten', category: 'cat', captions: [] },
  { id: 'horse', near: 'horse', category: 'horse', captions: ['A horse in a field.'] },
  // "snow" is only in this caption, and the photo sits by 'car', far from 'snow'.
  { id: 'car-snow', near: 'car', category: 'car', captions: ['A red car parked beside a tree.', 'A car covered in snow.'] },
  { id: 'bus', near: 'bus', category: 'car', captions: ['A bus on a street.'] },
  { id: 'boat', near: 'boat', category: 'boat', captions: ['A boat on the sea.'] },
  { id: 'beach', near: 'beach', category: 'boat', captions: ['People on a beach by the ocean.'] },
];

interface Match {
  image: { id: string };
  distance: number;
  matchedCaption: string | null;
}

const SEARCH = `query ($text: String!, $first: Int, $mode: TextSearchMode, $category: String, $maxDistance: Float) {
  imagesForText(text: $text, first: $first, mode: $mode, category: $category, maxDistance: $maxDistance) {
    image { id } distance matchedCaption } }`;

for (const kind of storeKinds()) {
  describe(`imagesForText modes on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let unit: Map<string, Float32Array>;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    async function search(text: string, variables: Record<string, unknown> = {}): Promise<Match[]> {
      unit ??= await storePhotos(t, PHOTOS);
      const answer = await gql(server.url, SEARCH, { text, first: 10, ...variables });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return answer.data!.imagesForText as Match[];
    }
    const ids = (matches: Match[]) => matches.map((m) => m.image.id);
    const cosineDistance = (word: string, photoId: string) =>
      1 - dot(unit.get(word)!, unit.get(PHOTOS.find((p) => p.id === photoId)!.near)!);

    test('VECTOR ranks every photo with a vector, captioned or not, by distance; matchedCaption still says which caption fits', async () => {
      const matches = await search('dog', { mode: 'VECTOR' });
      assert.equal(matches.length, PHOTOS.length);
      assert.equal(matches[0]!.image.id, 'dog-often');
      assert.equal(matches[1]!.image.id, 'dog-uncaptioned', 'a photo without captions ranks by its vector');
      const distances = matches.map((m) => m.distance);
      assert.deepEqual(distances, [...distances].sort((a, b) => a - b));
      for (const match of matches) assert.ok(Math.abs(match.distance - cosineDistance('dog', match.image.id)) < 1e-4);
      const byId = new Map(matches.map((m) => [m.image.id, m.matchedCaption]));
      assert.equal(byId.get('dog-once'), 'A brown dog runs on the grass.', 'the matching caption, not the first');
      assert.equal(byId.get('dog-uncaptioned'), null);
      assert.equal(byId.get('cat-sofa'), null);
    });

    test('KEYWORD returns only photos whose captions match, by ts_rank_cd, with the vector distance; stems match', async () => {
      const matches = await search('dogs', { mode: 'KEYWORD' });
      assert.deepEqual(ids(matches), ['dog-often', 'dog-once'], 'four mentions rank above one; no caption, no match');
      for (const match of matches) assert.ok(Math.abs(match.distance - cosineDistance('dogs', match.image.id)) < 1e-4);
      assert.equal(matches[0]!.matchedCaption, 'A dog asleep on a dog bed.');
      const more = await search('dog grass', { mode: 'KEYWORD' });
      assert.equal(more[0]!.image.id, 'dog-once', 'the photo matching both words first');
    });

    test('a word only in a caption, far from the photo in word space: KEYWORD and HYBRID find it, VECTOR does not', async () => {
      const vector = await search('snow', { mode: 'VECTOR', first: 3 });
      assert.ok(!ids(vector).includes('car-snow'), ids(vector).join(' '));
      const keyword = await search('snow', { mode: 'KEYWORD' });
      assert.deepEqual(ids(keyword), ['car-snow']);
      const hybrid = await search('snow', { first: 3 });
      assert.equal(hybrid[0]!.image.id, 'car-snow');
      assert.equal(hybrid[0]!.matchedCaption, 'A car covered in snow.');
      assert.ok(Math.abs(hybrid[0]!.distance - cosineDistance('snow', 'car-snow')) < 1e-4, 'distance stays the vector distance');
      assert.ok(hybrid[0]!.distance > vector[2]!.distance, 'the photo is far from the word in vector space');
    });

    test('a query without matchedCaption gets the same matches; one that asks through a fragment gets the caption', async () => {
      await search('snow');
      const plain = await gql(server.url, 'query ($text: String!) { imagesForText(text: $text, first: 10) { image { id } distance } }', {
        text: 'dog on the grass',
      });
      const viaFragment = await gql(
        server.url,
        'query ($text: String!) { imagesForText(text: $text, first: 10) { ...M } } fragment M on ImageMatch { image { id } distance matchedCaption }',
        { text: 'dog on the grass' },
      );
      const asked = await search('dog on the grass');
      const withoutCaption = plain.data!.imagesForText as Match[];
      assert.deepEqual(ids(withoutCaption), ids(asked));
      assert.deepEqual(withoutCaption.map((m) => m.distance), asked.map((m) => m.distance));
      assert.deepEqual(viaFragment.data!.imagesForText, asked);
      assert.ok(asked.some((m) => m.matchedCaption !== null), 'a caption fits');
    });

    test('HYBRID (the default) fuses both: captioned matches first, photos without captions still rank by their vector', async () => {
      const matches = await search('dog');
      assert.equal(matches.length, PHOTOS.length);
      assert.deepEqual(ids(matches).slice(0, 2), ['dog-often', 'dog-once'], 'in both rankings');
      assert.equal(matches[2]!.image.id, 'dog-uncaptioned', 'next by its vector alone');
      assert.equal(matches[2]!.matchedCaption, null);
    });

    test('maxDistance drops matches further away in every mode; category keeps to it', async () => {
      const limit = cosineDistance('snow', 'car-snow') - 0.01;
      for (const mode of ['VECTOR', 'KEYWORD', 'HYBRID']) {
        const matches = await search('snow', { mode, maxDistance: limit });
        assert.ok(!ids(matches).includes('car-snow'), mode);
        assert.ok(matches.every((m) => m.distance <= limit), mode);
      }
      const cats = await search('dog sofa', { category: 'cat' });
      assert.deepEqual(new Set(ids(cats)), new Set(['cat-sofa', 'kitten']));
      assert.equal(cats[0]!.matchedCaption, 'A cat curled up on a sofa.');
      const bad = await gql(server.url, SEARCH, { text: 'dog', maxDistance: 3 });
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    });

    test('text that looks like tsquery syntax is only words; stop words alone match no caption', async () => {
      const odd = await search("dog & !cat | (snow:*) 'x", { mode: 'KEYWORD' });
      assert.deepEqual(new Set(ids(odd)), new Set(['dog-often', 'dog-once', 'cat-sofa', 'car-snow']));
      const unknown = await gql(server.url, SEARCH, { text: 'qwzx blorf', mode: 'KEYWORD' });
      assert.equal(unknown.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const wrongMode = await gql(server.url, SEARCH, { text: 'dog', mode: 'FUZZY' });
      assert.match(wrongMode.errors?.[0]?.message ?? '', /TextSearchMode/);
    });

    test('changed captions are searchable at once (the full-text document follows the column)', async () => {
      await search('dog');
      await t.app.db.primary.query(`UPDATE images SET captions = '{"A kitten playing in the water."}' WHERE id = 'kitten'`);
      const matches = await search('water', { mode: 'KEYWORD' });
      assert.deepEqual(ids(matches), ['kitten']);
      assert.equal(matches[0]!.matchedCaption, 'A kitten playing in the water.');
    });

    test('a search is one statement whatever the mode, the words’ vectors included; only an empty answer asks why', async () => {
      await search('dog');
      const pools = [t.app.db.primary, t.app.db.reader];
      for (const mode of ['VECTOR', 'KEYWORD', 'HYBRID'] as const) {
        const statements = await countStatements(pools, () => t.app.services.imageText.imagesForText({ text: 'dog grass', mode }));
        assert.equal(statements, 1, mode);
      }
      const answer = await t.app.services.imageText.imagesForText({ text: 'dog qqzx', mode: 'VECTOR' });
      assert.ok(answer.matches.length > 0);
      assert.deepEqual(answer.unknownWords, ['qqzx'], 'the statement names the known words');
      const nothing = await t.app.services.imageText.imagesForText({ text: 'dog qqzx', category: 'horse', mode: 'KEYWORD' });
      assert.deepEqual(nothing, { matches: [], unknownWords: ['qqzx'] }, 'nothing found: no error, the unknown word named');
    });

    test("the evaluation's search is the served one limited to the images it names", async () => {
      const searcher = storeSearcher(t.app.repositories.evalTextSearch, t.app.config.images.efSearch);
      for (const mode of ['VECTOR', 'KEYWORD', 'HYBRID'] as const) {
        const served = await t.app.services.imageText.imagesForText({ text: 'dog grass', first: 20, mode });
        const all = await searcher.search({ text: 'dog grass', first: 20, mode }, PHOTOS.map((p) => p.id));
        assert.deepEqual(all, served.matches.map((m) => m.image.id), `${mode}: every image named, the served order`);
        const cats = ['cat-sofa', 'kitten', 'dog-once'];
        const within = await searcher.search({ text: 'dog grass', first: 20, mode }, cats);
        assert.deepEqual(within, all.filter((id) => cats.includes(id)), `${mode}: only the images named, in the same order`);
      }
      assert.deepEqual(await searcher.search({ text: 'dog', first: 10, mode: 'HYBRID' }, []), []);
    });
  });
}

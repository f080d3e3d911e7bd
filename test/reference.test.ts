// Reference photos (issue 25, part 1) on each store, on small data the test
// builds: a reference photo teaches an owner's photo its tags and text rank,
// no answer lists it unless asked (includeReference), and deleting it undoes
// what it taught.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunningServer } from '../src/http/server.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { createLogger } from '../src/logger.js';
import { ensureTagVocabulary } from '../seeds/wordModel.js';
import { seedWords } from '../seeds/words.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import { photoRow, pseudoVector } from './helpers/textPhotos.js';

const quiet = createLogger('silent');
/** `vector` moved `away` towards a vector of `name`'s own: larger is further. */
const near = (vector: Float32Array, name: string, away: number) => {
  const own = pseudoVector(name);
  return l2Normalize(vector.map((x, i) => (1 - away) * x + away * own[i]!));
};

const TAGS = `query ($id: ID!) { tagsForImage(id: $id, first: 10) { word { text } source } }`;
const VOTE = `query ($text: String!) { imagesForText(text: $text, mode: VECTOR, first: 10) { image { id } scores { vote } } }`;
const LISTS = `query ($with: Boolean) {
  similarImages(id: "mine", first: 10, includeReference: $with) { image { id reference } }
  imagesForText(text: "dog beach", first: 10, includeReference: $with) { image { id } }
  keyword: imagesForText(text: "beach", mode: KEYWORD, first: 10, includeReference: $with) { image { id } }
  images(first: 10, includeReference: $with) { totalCount edges { node { id similar(first: 10, includeReference: $with) { image { id } } } } }
  categories(includeReference: $with)
  duplicates(includeReference: $with) { original { id } }
}`;

interface Lists {
  similarImages: { image: { id: string; reference: boolean } }[];
  imagesForText: { image: { id: string } }[];
  keyword: { image: { id: string } }[];
  images: { totalCount: number; edges: { node: { id: string; similar: { image: { id: string } }[] } }[] };
  categories: string[];
}

for (const kind of storeKinds()) {
  describe(`reference photos on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    async function ask<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      const answer = await gql(server.url, query, variables);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return answer.data as T;
    }
    const tagsOfMine = async () =>
      (await ask<{ tagsForImage: { word: { text: string }; source: string }[] }>(TAGS, { id: 'mine' })).tagsForImage;
    const voteOfMine = async (text: string) =>
      (await ask<{ imagesForText: { image: { id: string }; scores: { vote: number | null } }[] }>(VOTE, { text })).imagesForText.find(
        (match) => match.image.id === 'mine',
      )?.scores.vote ?? 0;

    test('a reference photo teaches its neighbour tags and text rank, is listed only when asked, and its deletion undoes it', async () => {
      const { words, seedState, images, tagVocabulary, wordSpace } = t.app.repositories;
      await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, quiet);
      await ensureTagVocabulary({ words, wordSpace, tagVocabulary, seedState }, 10_000, quiet);
      const vectors = await words.findVectors(['car', 'cat', 'dog']);
      const unit = (word: string) => l2Normalize(vectors.get(word)!);
      const mine = pseudoVector('mine');
      await images.insert([
        photoRow({ id: 'mine', category: 'car', captions: [], embedding: mine, wordEmbedding: unit('car') }),
        photoRow({ id: 'owned-cat', category: 'cat', captions: ['A cat asleep on a sofa.'], embedding: pseudoVector('owned-cat'), wordEmbedding: unit('cat') }),
      ]);
      await t.app.services.transfer.refresh();
      const taughtBefore = (await tagsOfMine()).filter((tag) => tag.source === 'SIMILAR_PHOTOS').map((tag) => tag.word.text);
      assert.ok(!taughtBefore.includes('dog'), `${taughtBefore}`);
      assert.equal(await voteOfMine('dog'), 0);

      await images.insert([
        photoRow({
          id: 'ref-dog',
          category: 'dog',
          captions: ['A dog runs on the beach.', 'Two dogs play on the beach.'],
          embedding: near(mine, 'ref-dog', 0.2),
          wordEmbedding: unit('dog'),
          reference: true,
        }),
      ]);
      await t.app.services.transfer.refresh();
      const taught = await tagsOfMine();
      assert.ok(
        taught.some((tag) => tag.word.text === 'dog' && tag.source === 'SIMILAR_PHOTOS'),
        `the reference photo's captions tag its neighbour: ${JSON.stringify(taught)}`,
      );
      assert.ok((await voteOfMine('dog')) > 0, 'its captions vote for its neighbour in text search');

      const hidden = await ask<Lists>(LISTS, { with: false });
      const shown = await ask<Lists>(LISTS, { with: true });
      const ids = (matches: { image: { id: string } }[]) => matches.map((match) => match.image.id);
      assert.deepEqual(ids(hidden.similarImages), ['owned-cat']);
      assert.equal(shown.similarImages[0]!.image.id, 'ref-dog', 'the nearest photo, when asked for');
      assert.equal(shown.similarImages[0]!.image.reference, true);
      assert.ok(!ids(hidden.imagesForText).includes('ref-dog') && ids(shown.imagesForText).includes('ref-dog'));
      assert.deepEqual(ids(hidden.keyword), [], 'only the reference photo has "beach" in a caption');
      assert.deepEqual(ids(shown.keyword), ['ref-dog']);
      assert.equal(hidden.images.totalCount, 2);
      assert.equal(shown.images.totalCount, 3);
      assert.deepEqual(hidden.images.edges.map((edge) => edge.node.id), ['mine', 'owned-cat']);
      for (const edge of hidden.images.edges) assert.ok(!ids(edge.node.similar).includes('ref-dog'), `Image.similar of ${edge.node.id}`);
      assert.ok(ids(shown.images.edges.find((edge) => edge.node.id === 'mine')!.node.similar).includes('ref-dog'));
      assert.deepEqual(hidden.categories, ['car', 'cat']);
      assert.deepEqual(shown.categories, ['car', 'cat', 'dog']);
      const byId = await ask<{ image: { reference: boolean } }>('query { image(id: "ref-dog") { reference } }', {});
      assert.equal(byId.image.reference, true, 'image(id) returns a reference photo');

      assert.equal((await ask<{ deleteImage: boolean }>('mutation { deleteImage(id: "ref-dog") }', {})).deleteImage, true);
      const after = (await tagsOfMine()).filter((tag) => tag.source === 'SIMILAR_PHOTOS').map((tag) => tag.word.text);
      assert.deepEqual(after, taughtBefore, 'what it taught is undone');
      assert.equal(await voteOfMine('dog'), 0);
    });

  });
}

// Image ↔ text over HTTP on both stores: tagsForImage, imagesForText,
// Image.tags through a DataLoader, on a small real store whose model the
// seed trains (a few Pascal categories, real MobileNet features and GloVe vectors).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import type { RunningServer } from '../src/http/server.js';
import { candidatesFor, foldTags, lemmaKey, TEXT_VOTE_SHIFT, textVoteKeys, TRANSFER } from '../src/embedding/index.js';
import { toFloat32 } from '../src/repositories/sqlParams.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { countStatements, mirrored, otherPascalImage, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const CATEGORIES = ['bird', 'boat', 'cat', 'dog', 'sofa'];
const PER_CATEGORY = 10;

interface TagResult {
  word: { text: string };
  distance: number;
  source?: 'CAPTION' | 'SIMILAR_PHOTOS' | 'MODEL';
}
interface MatchResult {
  image: { id: string; category: string };
  distance: number;
}

const words = (tags: TagResult[]) => tags.map((tag) => tag.word.text);

for (const kind of storeKinds()) {
  describe(`image ↔ text on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let assets: TestAssets;
    let trainingDogId: string;

    serveDuringSuite(
      kind,
      (app, running, photos) => {
        [t, server, assets] = [app, running, photos];
      },
      { photos: { categories: CATEGORIES, perCategory: PER_CATEGORY }, seed: true, env: { IMAGES_LIMIT: '0', TRAIN_EPOCHS: '30' } },
    );
    before(async () => {
      // The training image whose captions name the dog most often (labels are noisy: some "dog" photos show people).
      const split = await t.app.db.primary.query<{ id: string; captions: string[] }>(
        `SELECT i.id, i.captions FROM training_split s JOIN images i ON i.id = s.image_id
         WHERE NOT s.held_out AND i.category = 'dog' ORDER BY i.id`,
      );
      const dogMentions = (captions: string[]) => captions.filter((c) => /\bdogs?\b/i.test(c)).length;
      trainingDogId = split.rows.reduce((best, row) => (dogMentions(row.captions) > dogMentions(best.captions) ? row : best)).id;
    });

    test('the seed trains the model, stores the split and projects every image; /readyz is ready', async () => {
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      const split = await t.app.db.primary.query<{ held_out: boolean; n: number }>(
        'SELECT held_out, count(*)::int AS n FROM training_split GROUP BY held_out ORDER BY held_out',
      );
      assert.deepEqual(
        split.rows.map((row) => [row.held_out, row.n]),
        [
          [false, 40],
          [true, 10],
        ],
      );
      assert.equal(await t.app.repositories.wordSpace.countUnprojected(), 0);
    });

    test('tagsForImage of a dog training image lists "dog" from its captions in the top 5, one form per word', async () => {
      const res = await gql(server.url, 'query ($id: ID) { tagsForImage(id: $id) { word { text } distance source } }', {
        id: trainingDogId,
      });
      assert.equal(res.errors, undefined);
      const tags = res.data!.tagsForImage as TagResult[];
      assert.equal(tags.length, 5);
      assert.ok(words(tags).includes('dog'), `dog in ${words(tags)}`);
      const lemmas = words(tags).map(lemmaKey);
      assert.equal(new Set(lemmas).size, lemmas.length, `no two forms of one word: ${words(tags)}`);
      assert.equal(tags.find((tag) => tag.word.text === 'dog')!.source, 'CAPTION');
      assert.ok(tags.every((tag) => tag.distance >= 0 && tag.distance <= 2));
    });

    test('the stored vocabulary folds aeroplane and airplane into one tag, dog and dogs into another, with their synonyms', async () => {
      const vectors = await t.app.repositories.words.findVectors(['airplane', 'dogs']);
      const tagsNear = async (word: string) =>
        foldTags(await t.app.repositories.tagVocabulary.nearestTags(vectors.get(word)!, candidatesFor(5), 200), 5);
      const planeTags = await tagsNear('airplane');
      const plane = planeTags.filter((tag) => ['aeroplane', 'airplane', 'plane', 'planes'].includes(tag.text));
      assert.equal(plane.length, 1, `one tag: ${planeTags.map((tag) => tag.text)}`);
      assert.ok([plane[0]!.text, ...plane[0]!.synonyms].includes('aeroplane'), `${plane[0]!.text}: ${plane[0]!.synonyms}`);
      assert.ok([plane[0]!.text, ...plane[0]!.synonyms].includes('airplane'));
      const dogTags = (await tagsNear('dogs')).map((tag) => tag.text);
      assert.equal(dogTags.filter((text) => text === 'dog' || text === 'dogs').length, 1, `${dogTags}`);
    });

    test('a word no photo can show never becomes a tag, yet text queries still use it', async () => {
      const never = ['instead', 'every', 'front', 'top', 'back'];
      const vectors = await t.app.repositories.words.findVectors(never);
      assert.deepEqual([...vectors.keys()].sort(), [...never].sort(), 'the words are loaded');
      const vocabulary = (await t.app.repositories.tagVocabulary.tagVocabulary()).map((word) => word.text);
      assert.ok(vocabulary.includes('dog') && vocabulary.includes('sofa'), `${vocabulary.length} tag words`);
      assert.deepEqual(vocabulary.filter((word) => never.includes(word)), []);
      for (const word of never) {
        // Tags of the word's own vector: the nearest the word could ever be.
        const tags = foldTags(await t.app.repositories.tagVocabulary.nearestTags(vectors.get(word)!, candidatesFor(10), 200), 10);
        assert.ok(tags.length > 0 && tags.every((tag) => !never.includes(tag.text)), `${word}: ${tags.map((tag) => tag.text)}`);
      }
      const res = await gql(server.url, '{ imagesForText(text: "front", first: 3, mode: VECTOR) { image { id } } }');
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.imagesForText.length, 3);
    });

    test('Tag.synonyms: every tag lists its folded forms, never another tag of the answer', async () => {
      const res = await gql(server.url, 'query ($id: ID) { tagsForImage(id: $id, first: 10) { word { text } synonyms } }', {
        id: trainingDogId,
      });
      assert.equal(res.errors, undefined);
      const tags = res.data!.tagsForImage as { word: { text: string }; synonyms: string[] }[];
      const dog = tags.find((tag) => tag.word.text === 'dog');
      assert.deepEqual(dog?.synonyms, ['dogs']);
      const texts = new Set(tags.map((tag) => tag.word.text));
      for (const tag of tags) assert.ok(tag.synonyms.every((word) => !texts.has(word)), `${tag.word.text}: ${tag.synonyms}`);
    });

    test('tagsForImage of new bytes equals the stored image\'s tags once its own captions are gone', async () => {
      const image = assets.images.find((i) => i.category === 'cat' && i.id !== trainingDogId)!;
      const base64 = readFileSync(image.file).toString('base64');
      const query = 'query ($id: ID, $image: ImageInput) { tagsForImage(id: $id, image: $image, first: 8) { word { text } distance source } }';
      const setCaptions = (captions: string[]) =>
        gql(server.url, 'mutation ($id: ID!, $captions: [String!]) { updateImage(id: $id, captions: $captions) { id } }', {
          id: image.id,
          captions,
        });
      const { captions } = (await t.app.repositories.images.findByIds([image.id]))[0]!;
      const byBytes = await gql(server.url, query, { image: { base64 } });
      assert.equal(byBytes.errors, undefined);
      assert.ok((byBytes.data!.tagsForImage as TagResult[]).every((tag) => tag.source !== 'CAPTION'), 'new bytes have no captions');
      assert.equal((await setCaptions([])).errors, undefined);
      try {
        const byId = await gql(server.url, query, { id: image.id });
        assert.deepEqual(byBytes.data!.tagsForImage, byId.data!.tagsForImage);
      } finally {
        assert.equal((await setCaptions(captions)).errors, undefined);
      }
    });

    test('imagesForText("dog") ranks dog images first', async () => {
      const res = await gql(server.url, '{ imagesForText(text: "dog", first: 10) { image { id category } distance } }');
      assert.equal(res.errors, undefined);
      const categories = (res.data!.imagesForText as MatchResult[]).map((match) => match.image.category);
      assert.equal(categories.length, 10);
      // 10 of the 50 images are dogs (2 of them held out): chance is 2 in the top 10.
      assert.deepEqual(categories.slice(0, 3), ['dog', 'dog', 'dog'], categories.join());
      assert.ok(categories.filter((c) => c === 'dog').length >= 6, categories.join());
      assert.equal((res as { extensions?: unknown }).extensions, undefined, 'no unknown words, no note');
    });

    test('"cat sofa" searches the mean of both words; category filters', async () => {
      const res = await gql(server.url, '{ imagesForText(text: "A cat on the sofa", first: 5) { image { category } } }');
      assert.equal(res.errors, undefined);
      const categories = (res.data!.imagesForText as MatchResult[]).map((match) => match.image.category);
      assert.equal(categories.length, 5);
      // 20 of the 50 images are cats or sofas.
      const isCatOrSofa = (c: string) => c === 'cat' || c === 'sofa';
      assert.ok(categories.filter(isCatOrSofa).length >= 4 && categories.slice(0, 3).every(isCatOrSofa), categories.join());
      const filtered = await gql(server.url, '{ imagesForText(text: "dog", first: 7, category: "boat") { image { category } } }');
      assert.equal(filtered.errors, undefined);
      const boats = (filtered.data!.imagesForText as MatchResult[]).map((match) => match.image.category);
      assert.deepEqual(boats, Array(7).fill('boat'));
    });

    test("the evaluation's text rules are the store's: the searched vectors as stored, the scores in the served order", async () => {
      const { evalTextSearch } = t.app.repositories;
      const stored = await t.app.db.primary.query<{ id: string; word: number[]; transfer: number[] | null; text: number[] }>(
        `SELECT id, word_embedding AS word, transfer_embedding AS transfer, text_embedding AS text
         FROM images WHERE word_embedding IS NOT NULL ORDER BY id`,
      );
      assert.ok(stored.rows.some((row) => row.transfer !== null), 'photos with a transfer');
      const mixed = await evalTextSearch.searchedTextVectors(
        stored.rows.map((row) => toFloat32(row.word)),
        stored.rows.map((row) => row.transfer && toFloat32(row.transfer)),
      );
      stored.rows.forEach((row, i) => assert.deepEqual(mixed[i], toFloat32(row.text), row.id));
      const [alone] = await evalTextSearch.searchedTextVectors([toFloat32(stored.rows[0]!.word)], [null]);
      assert.deepEqual(alone, toFloat32(stored.rows[0]!.word), 'no transfer: the model vector');

      const served = await t.app.services.imageText.imagesForText({ text: 'dog grass', first: 50, mode: 'VECTOR' });
      assert.equal(served.matches.length, 50);
      const votes = await t.app.db.primary.query<{ image_id: string; votes: number[] }>(
        `SELECT image_id, array_agg(vote::float8) AS votes FROM transfer_votes WHERE word = ANY($1::text[]) GROUP BY image_id`,
        [textVoteKeys(['dog', 'grass'])],
      );
      const votesOf = new Map(votes.rows.map((row) => [row.image_id, row.votes]));
      assert.ok(votesOf.size > 0, 'photos voted for the words');
      const scores = await evalTextSearch.textSearchScores(
        served.matches.map((m) => ({
          cosine: 1 - m.distance,
          votes: votesOf.get(m.image.id) ?? [],
          keyCount: 2,
          voteWeight: TRANSFER.textVoteWeight,
          voteShift: TEXT_VOTE_SHIFT,
        })),
      );
      const reranked = served.matches
        .map((m, i) => ({ id: m.image.id, distance: m.distance, score: scores[i]! }))
        .sort((a, b) => b.score - a.score || a.distance - b.distance || (a.id < b.id ? -1 : 1));
      assert.deepEqual(reranked.map((m) => m.id), served.matches.map((m) => m.image.id));
      assert.ok(reranked.some((m) => Math.abs(m.score - (1 - m.distance)) > 1e-3), 'the votes move scores');
    });

    test('unknown words are ignored and reported in extensions.unknownWords', async () => {
      const res = await gql(server.url, '{ imagesForText(text: "dog qwzx", first: 3) { image { category } } }');
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.imagesForText[0].image.category, 'dog');
      assert.deepEqual((res as { extensions?: { unknownWords?: string[] } }).extensions?.unknownWords, ['qwzx']);
    });

    const badInputs: [string, string, RegExp][] = [
      ['no known word', '{ imagesForText(text: "qwzx blorf") { distance } }', /No known words in 'qwzx blorf'/],
      ['empty text', '{ imagesForText(text: "  ") { distance } }', /empty/],
      ['first = 0', '{ imagesForText(text: "dog", first: 0) { distance } }', /between 1 and 100/],
      ['unknown category', '{ imagesForText(text: "dog", category: "unicorn") { distance } }', /No images in category 'unicorn'/],
      ['tags: neither id nor image', '{ tagsForImage { distance } }', /exactly one of 'id'/],
      ['tags: bad base64', '{ tagsForImage(image: { base64: "!!" }) { distance } }', /not valid base64/],
      ['tags: first = 101', '{ tagsForImage(id: "x", first: 101) { distance } }', /between 1 and 100/],
    ];
    for (const [name, query, message] of badInputs) {
      test(`BAD_USER_INPUT: ${name}`, async () => {
        const res = await gql(server.url, query);
        assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.errors));
        assert.match(res.errors![0]!.message, message);
      });
    }

    test('NOT_FOUND: tags of an unknown image id', async () => {
      const res = await gql(server.url, '{ tagsForImage(id: "no-such-image") { distance } }');
      assert.equal(res.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });

    test('Image.tags is batched by a DataLoader: the query count does not grow with the images', async () => {
      const query = (first: number) => `{ images(first: ${first}) { edges { node { id tags(first: 3) { word { text } } } } } }`;
      const pools = [t.app.db.primary, t.app.db.reader];
      const few = await countStatements(pools, () => gql(server.url, query(2)));
      let many: Record<string, any> | undefined;
      const manyCount = await countStatements(pools, async () => (many = (await gql(server.url, query(30))).data!));
      // One statement per searchesPerStatement images (the embedded store's slice; all of them on a server).
      const slices = (n: number) => Math.ceil(n / t.app.services.searchesPerStatement);
      assert.equal(manyCount - slices(30), few - slices(2), `${few} queries for 2 images, ${manyCount} for 30`);
      const edges = many!.images.edges as { node: { id: string; tags: TagResult[] } }[];
      assert.equal(edges.length, 30);
      assert.ok(edges.every((edge) => edge.node.tags.length === 3));
      const single = await gql(server.url, 'query ($id: ID) { tagsForImage(id: $id, first: 3) { word { text } } }', {
        id: edges[0]!.node.id,
      });
      assert.deepEqual(words(single.data!.tagsForImage), words(edges[0]!.node.tags), 'same tags either way');
    });

    test('addImage projects the new image: it has tags and a stored word-space vector', async () => {
      const dog = otherPascalImage('dog', assets.images);
      const base64 = readFileSync(dog.file).toString('base64');
      const added = await gql(server.url, 'mutation ($image: ImageInput!) { addImage(image: $image) { id tags { word { text } } } }', {
        image: { base64 },
      });
      assert.equal(added.errors, undefined, JSON.stringify(added.errors));
      assert.equal(added.data!.addImage.tags.length, 5);
      const vector = (await t.app.repositories.tags.wordEmbeddings([added.data!.addImage.id]))[0];
      assert.ok(vector, 'the stored image has a word-space vector');
    });

    test('Tag.source: CAPTION for a stored photo\'s own caption words, SIMILAR_PHOTOS and MODEL for new bytes', async () => {
      const stored = await gql(server.url, 'query ($id: ID) { tagsForImage(id: $id, first: 20) { word { text } source } }', {
        id: trainingDogId,
      });
      const captionWords = new Set(
        (await t.app.repositories.images.findByIds([trainingDogId]))[0]!.captions.flatMap((c) => c.toLowerCase().split(/[^a-z]+/)),
      );
      for (const tag of stored.data!.tagsForImage as TagResult[]) {
        if (tag.source === 'CAPTION') assert.ok(captionWords.has(tag.word.text), `${tag.word.text} is in its captions`);
      }
      assert.ok((stored.data!.tagsForImage as TagResult[]).some((tag) => tag.source === 'CAPTION'));
      const dog = otherPascalImage('dog', assets.images);
      const res = await gql(server.url, 'query ($image: ImageInput) { tagsForImage(image: $image, first: 20) { word { text } source } }', {
        image: { base64: readFileSync(dog.file).toString('base64') },
      });
      const sources = new Set((res.data!.tagsForImage as TagResult[]).map((tag) => tag.source));
      assert.deepEqual([...sources].sort(), ['MODEL', 'SIMILAR_PHOTOS']);
    });

    test('a photo stored with captions teaches a similar uncaptioned photo at once; new captions and deletion undo it', async () => {
      const bytes = readFileSync(otherPascalImage('cat', assets.images).file);
      const add = async (image: Buffer, captions?: string[]) => {
        const res = await gql(
          server.url,
          'mutation ($image: ImageInput!, $captions: [String!]) { addImage(image: $image, captions: $captions) { id } }',
          { image: { base64: image.toString('base64') }, captions },
        );
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
        return res.data!.addImage.id as string;
      };
      const uncaptioned = await add(bytes);
      const tagsOf = async () =>
        (await gql(server.url, 'query ($id: ID) { tagsForImage(id: $id, first: 10) { word { text } source } }', { id: uncaptioned }))
          .data!.tagsForImage as TagResult[];
      const search = async () => {
        const res = await gql(server.url, '{ imagesForText(text: "snow", first: 100, mode: VECTOR) { image { id } distance } }');
        const matches = res.data!.imagesForText as { image: { id: string }; distance: number }[];
        const rank = matches.findIndex((match) => match.image.id === uncaptioned);
        return { rank, distance: matches[rank]!.distance };
      };
      const [tagsBefore, before] = [await tagsOf(), await search()];
      assert.ok(!words(tagsBefore).includes('snow'), `${words(tagsBefore)}`);

      // The same photo mirrored: its nearest neighbour by far.
      const captioned = await add(await mirrored(bytes, 'jpeg'), ['A cat in the snow.', 'Snow around a cat.', 'A cat sits in snow.']);
      const snow = (await tagsOf()).find((tag) => tag.word.text === 'snow');
      assert.equal(snow?.source, 'SIMILAR_PHOTOS', `${words(await tagsOf())}`);
      const taught = await search();
      assert.ok(taught.rank < before.rank && taught.distance < before.distance, `${JSON.stringify([before, taught])}`);

      const changed = await gql(server.url, 'mutation ($id: ID!) { updateImage(id: $id, captions: ["A cat on a sofa."]) { id } }', {
        id: captioned,
      });
      assert.equal(changed.errors, undefined);
      assert.ok(!words(await tagsOf()).includes('snow'), 'the new captions no longer say snow');

      assert.equal((await gql(server.url, 'mutation ($id: ID!) { deleteImage(id: $id) }', { id: captioned })).errors, undefined);
      assert.deepEqual(await tagsOf(), tagsBefore);
      const undone = await search();
      assert.equal(undone.rank, before.rank);
      assert.ok(Math.abs(undone.distance - before.distance) < 1e-6, `${JSON.stringify([before, undone])}`);
    });
  });
}

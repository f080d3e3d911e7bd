// Reference photos (issue 25, parts 1-3) on each store, on small data the
// test builds: a reference photo teaches an owner's photo its tags and text
// rank, no answer lists it unless asked (includeReference), and deleting it
// undoes what it taught; a COCO and a Flickr caption file import a folder as
// reference photos (a photo without captions refused, a re-run adds
// nothing); the seed phase resumes after an interruption, adds nothing on a
// re-run and stores nothing with REFERENCE_SET=none; and the Flickr8k
// archives are downloaded and unpacked from a local HTTP server.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureReferenceSet } from '../src/assets/ensure.js';
import { loadConfig } from '../src/config.js';
import { captionLines, parseCocoCaptions, parseFlickrTokens } from '../src/dataset/captionFiles.js';
import { listPascalImages } from '../src/dataset/pascal.js';
import { listReferencePhotos, referenceDir, referenceImagePath } from '../src/dataset/referenceSet.js';
import type { RunningServer } from '../src/http/server.js';
import { runImport } from '../src/import/importJob.js';
import { storeSink } from '../src/import/sinks.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { createLogger } from '../src/logger.js';
import { seedReference } from '../seeds/reference.js';
import { ensureTagVocabulary } from '../seeds/wordModel.js';
import { seedWords } from '../seeds/words.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { buildTestAssets, realAssetsDir, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';
import { photoRow, pseudoVector } from './helpers/textPhotos.js';
import { writeZip } from './helpers/zipFiles.js';

const quiet = createLogger('silent');
/** Several of the seed's batches (8), so an interruption leaves the set half stored. */
const REFERENCE_PHOTOS = 20;

/** `vector` moved `away` towards a vector of `name`'s own: larger is further. */
const near = (vector: Float32Array, name: string, away: number) => {
  const own = pseudoVector(name);
  return l2Normalize(vector.map((x, i) => (1 - away) * x + away * own[i]!));
};

/** Real Pascal photos of `category`, after the first `skip`. */
const pascal = (category: string, skip: number, n: number) =>
  listPascalImages(realAssetsDir())
    .filter((image) => image.category === category)
    .slice(skip, skip + n);

/** A tiny assets folder: one Pascal photo, the image model, and a flickr8k-reference of REFERENCE_PHOTOS photos. */
function buildReferenceAssets(): TestAssets {
  const assets = buildTestAssets(['cat'], 1);
  const root = referenceDir(assets.dir);
  const captions = new Map<string, string[]>();
  for (const photo of [...pascal('dog', 0, 10), ...pascal('horse', 0, REFERENCE_PHOTOS - 10)]) {
    const file = `${photo.id}.jpg`;
    mkdirSync(path.dirname(referenceImagePath(root, file)), { recursive: true });
    copyFileSync(photo.file, referenceImagePath(root, file));
    captions.set(file, photo.captions.length > 0 ? photo.captions : [`A ${photo.category} outside.`]);
  }
  writeFileSync(path.join(root, 'captions.jsonl'), captionLines(captions, 'test'));
  return assets;
}

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
    const assets = buildReferenceAssets();
    serveDuringSuite(
      kind,
      (app, running) => {
        t = app;
        server = running;
      },
      { env: { ASSETS_DIR: assets.dir, ASSETS_DOWNLOAD: 'false' } },
    );
    after(() => rmSync(assets.dir, { recursive: true, force: true }));

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

    test('a folder imports as reference photos from a COCO and a Flickr caption file; no captions: refused with the reason', async () => {
      await t.app.loadModels();
      const folder = mkdtempSync(path.join(tmpdir(), 'semsearch-reference-import-'));
      try {
        const [coco1, coco2, uncaptioned, flickr1, flickr2] = pascal('sheep', 0, 5);
        for (const photo of [coco1, coco2, uncaptioned, flickr1, flickr2]) copyFileSync(photo!.file, path.join(folder, `${photo!.id}.jpg`));
        const files = readdirSync(folder).map((name) => path.join(folder, name));
        const coco = parseCocoCaptions(
          JSON.stringify({
            images: [coco1, coco2].map((photo, i) => ({ id: i + 1, file_name: `${photo!.id}.jpg` })),
            annotations: [
              { image_id: 1, caption: 'A sheep grazing in a green field.' },
              { image_id: 1, caption: 'A white sheep on the grass.' },
              { image_id: 2, caption: 'Sheep standing by a fence.' },
            ],
          }),
        );
        const flickr = parseFlickrTokens(
          [`${flickr1!.id}.jpg#0\tA flock of sheep on a hill .`, `${flickr1!.id}.jpg#1\tSheep walk up a hill .`, `${flickr2!.id}.jpg#0\tA lamb in the snow .`].join('\n'),
        );
        const sink = storeSink(t.app.services.images, true);
        const owned = async () => (await ask<Lists>(LISTS, { with: false })).images.totalCount;
        const ownedBefore = await owned();
        const cocoFiles = files.filter((file) => !file.includes(flickr1!.id) && !file.includes(flickr2!.id));
        const fromCoco = await runImport(cocoFiles, sink, { captionsByFile: coco, progressOut: null });
        assert.equal(fromCoco.added, 2);
        assert.equal(fromCoco.refused.length, 1);
        assert.match(fromCoco.refused[0]!.file, new RegExp(uncaptioned!.id));
        assert.match(fromCoco.refused[0]!.reason, /reference photo needs captions/);
        // The photos stored from the COCO file are present, whatever this file says of them.
        const fromFlickr = await runImport(files, sink, { captionsByFile: flickr, progressOut: null });
        assert.deepEqual([fromFlickr.added, fromFlickr.present, fromFlickr.refused.length], [2, 2, 1]);
        const again = await runImport(cocoFiles, sink, { captionsByFile: coco, progressOut: null });
        assert.deepEqual([again.added, again.present], [0, 2], 'a re-run adds nothing');
        assert.equal(await owned(), ownedBefore, 'no owner photo was added');
        const shown = await ask<Lists>(LISTS, { with: true });
        assert.equal(shown.images.totalCount, ownedBefore + 4);
        const flickrRow = (await t.app.repositories.images.findByIds(shown.images.edges.map((edge) => edge.node.id))).filter(
          (row) => row?.captions.includes('A lamb in the snow .'),
        );
        assert.equal(flickrRow.length, 1);
        assert.equal(flickrRow[0]!.reference, true);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });

    test('the seed phase resumes after an interruption, adds nothing on a re-run, and REFERENCE_SET=none stores none', async () => {
      await t.app.loadModels();
      // The suite's app has the tests' default, REFERENCE_SET=none.
      const config = { ...t.app.config, referenceSet: 'flickr8k' as const };
      const deps = { config, logger: quiet, repositories: t.app.repositories, embedder: t.app.embedder };
      const referenceCount = async () =>
        (await t.app.repositories.images.count(undefined, 'withReference')) - (await t.app.repositories.images.count());
      const before = await referenceCount();
      assert.deepEqual(await seedReference({ ...deps, config: t.app.config }), { skipped: 'off', added: 0 });
      assert.equal(await referenceCount(), before, 'REFERENCE_SET=none stores none');

      const stopped = new Error('stopped');
      await assert.rejects(
        seedReference(deps, {
          onStored: (stored) => {
            if (stored >= 16) throw stopped;
          },
        }),
        stopped,
      );
      assert.equal(await referenceCount(), before + 16, 'the batches stored before the stop stay');
      const resumed = await seedReference(deps);
      assert.equal(resumed.added, REFERENCE_PHOTOS - 16, 'the rest, none twice');
      assert.equal(await referenceCount(), before + REFERENCE_PHOTOS);
      assert.equal(await t.app.repositories.transfers.countStale(), 0, 'the transfers they change are refreshed');
      assert.deepEqual(await seedReference(deps), { skipped: 'done', added: 0 });
      assert.equal(await referenceCount(), before + REFERENCE_PHOTOS);
      const listed = listReferencePhotos(assets.dir);
      const rows = await t.app.repositories.images.findByIds(listed.map((photo) => photo.id));
      assert.ok(rows.every((row) => row?.reference && row.origin === 'flickr8k' && row.captions.length > 0));
    });
  });
}

describe('the Flickr8k archives, downloaded and unpacked (a local HTTP server)', () => {
  let served: http.Server;
  let baseUrl = '';
  const requests: string[] = [];
  const work = mkdtempSync(path.join(tmpdir(), 'semsearch-flickr8k-'));
  const photos = pascal('bird', 0, 4);
  const jpeg = (i: number) => readFileSync(photos[i]!.file);

  before(async () => {
    const archives = path.join(work, 'archives');
    mkdirSync(archives);
    // Files as the public archives name them; the third photo is in the test split, the fourth has no caption.
    const names = photos.map((_, i) => `100${i}_photo.jpg`);
    const tokens = [0, 1, 2].flatMap((i) => [`${names[i]}#0\tA bird number ${i} .`, `${names[i]}#1\tA small bird ${i} on a branch .`]);
    writeZip(path.join(archives, 'Flickr8k_text.zip'), [
      { name: 'Flickr8k.token.txt', bytes: Buffer.from(tokens.join('\n')) },
      { name: 'Flickr_8k.testImages.txt', bytes: Buffer.from(`${names[2]}\n`) },
      { name: '__MACOSX/._Flickr8k.token.txt', bytes: Buffer.from('resource fork') },
    ]);
    writeZip(path.join(archives, 'Flickr8k_Dataset.zip'), [
      { name: 'Flicker8k_Dataset/', bytes: Buffer.alloc(0), stored: true },
      ...names.map((name, i) => ({ name: `Flicker8k_Dataset/${name}`, bytes: jpeg(i), stored: i === 1 })),
      { name: `__MACOSX/Flicker8k_Dataset/._${names[0]}`, bytes: Buffer.from('resource fork') },
    ]);
    served = http.createServer((req, res) => {
      requests.push(req.url!);
      try {
        res.end(readFileSync(path.join(archives, path.basename(req.url!))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => served.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(served.address() as AddressInfo).port}/flickr/`;
  });
  after(() => {
    served.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('the photos with captions outside the test split are unpacked, with their captions; a second call fetches nothing', async () => {
    const assetsDir = path.join(work, 'assets');
    const config = loadConfig({ ASSETS_DIR: assetsDir, ASSETS_BASE_URL_FLICKR8K: baseUrl });
    await ensureReferenceSet(config.assets);
    const listed = listReferencePhotos(assetsDir);
    assert.deepEqual(listed.map((photo) => photo.id), ['1000_photo', '1001_photo']);
    assert.deepEqual(listed[0]!.captions, ['A bird number 0 .', 'A small bird 0 on a branch .']);
    for (const [i, photo] of listed.entries()) assert.deepEqual(readFileSync(photo.file), jpeg(i), 'the bytes as archived (deflated and stored)');
    assert.deepEqual(readdirSync(path.join(referenceDir(assetsDir), 'images')).sort(), ['1000_photo.jpg', '1001_photo.jpg']);
    assert.deepEqual(requests.sort(), ['/flickr/Flickr8k_Dataset.zip', '/flickr/Flickr8k_text.zip']);
    await ensureReferenceSet(config.assets);
    assert.equal(requests.length, 2, 'complete: nothing fetched again');
  });
});

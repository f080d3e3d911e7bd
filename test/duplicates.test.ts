// duplicates on each store, over HTTP, on real photos and copies the test
// makes: a recompressed copy, a half-size copy and the same pixels as PNG are
// grouped with their photo; two different photos of one category never are;
// pages follow one another; the backfill of photos stored before hashes
// finds the same groups; a deleted copy leaves its group.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { imageSeedStores, interleaveByCategory, seedImages } from '../seeds/images.js';
import { seedDuplicates } from '../seeds/duplicates.js';
import { createTestApp, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { buildTestAssets, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');

interface Group {
  cursor: string;
  original: { id: string };
  copies: { image: { id: string }; kind: 'EXACT' | 'NEAR'; distance: number; hashDistance: number; mirrored: boolean }[];
}

const DUPLICATES = `query ($first: Int, $after: String, $maxDistance: Float) {
  duplicates(first: $first, after: $after, maxDistance: $maxDistance) {
    cursor original { id } copies { image { id } kind distance hashDistance mirrored } } }`;

for (const kind of storeKinds()) {
  describe(`duplicates on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let assets: TestAssets;
    /** Dataset photo id → the id of its copy. */
    const copyOf = new Map<string, string>();
    let dataset: TestAssets['images'];

    const groups = async (variables: Record<string, unknown> = {}): Promise<Group[]> => {
      const answer = await gql(server.url, DUPLICATES, variables);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return answer.data!.duplicates as Group[];
    };
    const pairs = (found: Group[]) => found.map((g) => [g.original.id, ...g.copies.map((c) => c.image.id)]);
    const upload = async (bytes: Buffer) =>
      (await t.app.services.images.addImage({ base64: bytes.toString('base64') })).id;

    before(async () => {
      assets = buildTestAssets(['cat', 'dog'], 4);
      t = await createTestApp(kind, { ASSETS_DIR: assets.dir, ASSETS_DOWNLOAD: 'false', IMAGES_LIMIT: '0' });
      await t.app.embedder.loadModels();
      await seedImages(imageSeedStores(t.app.repositories, t.app.embedder, t.app.config.images.efSearch), t.app.embedder, { assetsDir: assets.dir, limit: 0 }, quiet);
      dataset = interleaveByCategory(assets.images);
      const [cat, dog, otherCat] = [dataset.find((i) => i.category === 'cat')!, dataset.find((i) => i.category === 'dog')!, dataset.filter((i) => i.category === 'cat')[1]!];
      const bytesOf = (image: { file: string }) => readFileSync(image.file);
      copyOf.set(cat.id, await upload(await sharp(bytesOf(cat)).jpeg({ quality: 30 }).toBuffer()));
      const { width } = await sharp(bytesOf(dog)).metadata();
      copyOf.set(dog.id, await upload(await sharp(bytesOf(dog)).resize(Math.round(width! / 2)).jpeg({ quality: 90 }).toBuffer()));
      // The same pixels in other bytes.
      copyOf.set(otherCat.id, await upload(await sharp(bytesOf(otherCat)).png().toBuffer()));
      server = await startTestServer(t.app);
    });
    after(async () => {
      await server?.close();
      await t?.close();
      if (assets) rmSync(assets.dir, { recursive: true, force: true });
    });

    test('a recompressed, a resized and a re-encoded copy are each grouped with their photo, and two similar photos are not', async () => {
      const found = await groups({ first: 10 });
      const expected = [...copyOf].map(([photo, copy]) => [photo, copy]).sort((a, b) => a[0]!.localeCompare(b[0]!));
      assert.deepEqual(pairs(found), expected, 'one group per copied photo, the dataset photo (the larger or older) first');
      for (const group of found) {
        const copy = group.copies[0]!;
        assert.equal(copy.kind, copy.image.id === copyOf.get(dataset.filter((i) => i.category === 'cat')[1]!.id) ? 'EXACT' : 'NEAR');
        assert.ok(copy.distance >= 0 && copy.distance <= 0.25, `distance ${copy.distance}`);
        assert.ok(copy.hashDistance >= 0 && copy.hashDistance <= 8, `hash distance ${copy.hashDistance}`);
        assert.equal(copy.mirrored, false);
      }
    });

    test('pages: first 1 three times after each cursor equals first 3, then nothing', async () => {
      const all = await groups({ first: 3 });
      const paged: Group[] = [];
      let after: string | undefined;
      for (let page = 0; page < 3; page++) {
        const next = await groups({ first: 1, after });
        assert.equal(next.length, 1);
        paged.push(next[0]!);
        after = next[0]!.cursor;
      }
      assert.deepEqual(paged, all);
      assert.deepEqual(await groups({ first: 1, after }), []);
    });

    test('maxDistance 0 keeps the same pixels only; arguments out of range are BAD_USER_INPUT', async () => {
      const exact = await groups({ maxDistance: 0 });
      assert.equal(exact.length, 1);
      assert.equal(exact[0]!.copies[0]!.kind, 'EXACT');
      for (const variables of [{ maxDistance: 0.5 }, { after: 'not-a-cursor' }, { first: 0 }]) {
        const answer = await gql(server.url, DUPLICATES, variables);
        assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables));
      }
    });

    test('photos stored before hashes get them and their pairs from the seed phase: the same groups', async () => {
      const before = pairs(await groups());
      await t.app.db.primary.query('DELETE FROM image_duplicates');
      await t.app.db.primary.query('UPDATE images SET dhash = NULL, dhash_mirrored = NULL');
      assert.deepEqual(await groups(), []);
      assert.equal(await seedDuplicates(t.app.repositories, quiet), dataset.length + copyOf.size);
      assert.deepEqual(pairs(await groups()), before);
      assert.equal(await seedDuplicates(t.app.repositories, quiet), 0, 'nothing left to hash');
    });

    test('a deleted copy leaves its group', async () => {
      const [photo, copy] = [...copyOf][0]!;
      await t.app.services.images.deleteImage(copy);
      const found = pairs(await groups());
      assert.equal(found.length, copyOf.size - 1);
      assert.ok(!found.flat().includes(copy) && !found.some((group) => group[0] === photo));
    });
  });
}

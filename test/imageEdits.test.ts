// deleteImage and updateImage on each store: a deletion removes row, bytes
// and vectors and is remembered, so a later seed does not restore the photo;
// an update changes only the fields given, checked as addImage checks them.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { imageSeedStores, interleaveByCategory, seedImages } from '../seeds/images.js';
import { createTestApp, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { buildTestAssets, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');
const CATEGORIES = ['cat', 'dog'];
const PER_CATEGORY = 4;
const FIELDS = 'id category captions';

for (const kind of storeKinds()) {
  describe(`deleting and editing images on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let assets: TestAssets;
    /** Dataset images in the order the seed takes them. */
    let ordered: TestAssets['images'];

    const seed = (limit: number) =>
      seedImages(
        imageSeedStores(t.app.repositories, t.app.embedder, t.app.config.images.efSearch),
        t.app.embedder,
        { assetsDir: assets.dir, limit },
        quiet,
      );
    const graphql = async (query: string, variables: Record<string, unknown> = {}) => gql(server.url, query, variables);
    const storedIds = async () =>
      (await t.app.db.primary.query<{ id: string }>('SELECT id FROM images ORDER BY id')).rows.map((row) => row.id);
    const traces = async (id: string) =>
      (
        await t.app.db.primary.query<{ rows: number; files: number; split: number }>(
          `SELECT (SELECT count(*)::int FROM images WHERE id = $1) AS rows,
                  (SELECT count(*)::int FROM image_files WHERE image_id = $1) AS files,
                  (SELECT count(*)::int FROM training_split WHERE image_id = $1) AS split`,
          [id],
        )
      ).rows[0]!;

    before(async () => {
      assets = buildTestAssets(CATEGORIES, PER_CATEGORY);
      ordered = interleaveByCategory(assets.images);
      t = await createTestApp(kind, { ASSETS_DIR: assets.dir, ASSETS_DOWNLOAD: 'false', IMAGES_LIMIT: '0' });
      await t.app.embedder.loadModels();
      // All but the last dataset image: that one comes later, as an upload of the same bytes.
      await seed(ordered.length - 1);
      // As a trained model leaves it: deleting an image must take its split entry too.
      await t.app.db.primary.query('INSERT INTO training_split (image_id, held_out) SELECT id, false FROM images');
      server = await startTestServer(t.app);
    });
    after(async () => {
      await server?.close();
      await t?.close();
      if (assets) rmSync(assets.dir, { recursive: true, force: true });
    });

    test('deleteImage removes the row, its bytes, its vectors and its split entry, and answers true', async () => {
      const victim = ordered[0]!.id;
      assert.deepEqual(await traces(victim), { rows: 1, files: 1, split: 1 });
      const answer = await graphql('mutation ($id: ID!) { deleteImage(id: $id) }', { id: victim });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      assert.equal(answer.data!.deleteImage, true);
      assert.deepEqual(await traces(victim), { rows: 0, files: 0, split: 0 });
      assert.equal((await graphql(`{ image(id: "${victim}") { id } }`)).data!.image, null);
      assert.equal((await fetch(`${server.url}/images/${victim}`)).status, 404);
      const near = await graphql(`{ similarImages(id: "${ordered[1]!.id}", first: 20) { image { id } } }`);
      assert.ok(!near.data!.similarImages.some((match: { image: { id: string } }) => match.image.id === victim));
    });

    test('an unknown id, or one deleted already, is NOT_FOUND and changes nothing', async () => {
      const before = await storedIds();
      for (const id of ['no-such-image', ordered[0]!.id]) {
        const answer = await graphql('mutation ($id: ID!) { deleteImage(id: $id) }', { id });
        assert.equal(answer.errors?.[0]?.extensions?.code, 'NOT_FOUND');
        assert.match(answer.errors![0]!.message, new RegExp(`No image with id '${id}'`));
      }
      assert.deepEqual(await storedIds(), before);
    });

    test('a later seed does not bring a deleted dataset image back, by id or by its bytes under an upload id', async () => {
      // The last dataset image, added as an upload first, then deleted.
      const last = ordered.at(-1)!;
      const added = await graphql('mutation ($b: String!) { addImage(image: { base64: $b }) { id } }', {
        b: readFileSync(last.file).toString('base64'),
      });
      const uploadId = added.data!.addImage.id as string;
      assert.match(uploadId, /^upload-/);
      assert.equal((await graphql('mutation ($id: ID!) { deleteImage(id: $id) }', { id: uploadId })).data!.deleteImage, true);

      const result = await seed(0);
      assert.equal(result.embedded, 0, 'nothing deleted comes back');
      const ids = await storedIds();
      assert.ok(!ids.includes(ordered[0]!.id), 'deleted by id');
      assert.ok(!ids.includes(last.id) && !ids.includes(uploadId), 'deleted by its bytes');
      assert.equal(ids.length, ordered.length - 2);
      assert.equal((await seed(0)).skipped, true, 'and the next seed has nothing left to do');
    });

    test('updateImage changes only the fields given', async () => {
      const id = ordered[1]!.id;
      const original = (await graphql(`{ image(id: "${id}") { ${FIELDS} } }`)).data!.image;
      assert.ok(original.captions.length > 0);
      const update = (args: string) => graphql(`mutation ($id: ID!) { updateImage(id: $id${args}) { ${FIELDS} } }`, { id });

      const recategorised = await update(', category: "  house cat "');
      assert.deepEqual(recategorised.data!.updateImage, { ...original, category: 'house cat' }, 'captions untouched, category trimmed');
      const recaptioned = await update(', captions: [" One. ", "", "Two."]');
      assert.deepEqual(recaptioned.data!.updateImage, { ...original, category: 'house cat', captions: ['One.', 'Two.'] });
      const unchanged = await update('');
      assert.deepEqual(unchanged.data!.updateImage, recaptioned.data!.updateImage, 'no fields: nothing changes');
      const cleared = await update(', category: null, captions: []');
      assert.deepEqual(cleared.data!.updateImage, { ...original, category: null, captions: [] });
      // Stored, not only answered; the image's vectors and bytes are untouched.
      const row = await t.app.db.primary.query('SELECT category, captions FROM images WHERE id = $1', [id]);
      assert.deepEqual(row.rows[0], { category: null, captions: [] });
      assert.equal((await fetch(`${server.url}/images/${id}`)).status, 200);
      const categories = (await graphql('{ categories }')).data!.categories;
      assert.ok(!categories.includes('house cat'), 'a category nobody has any more is gone from the list');
    });

    test("updateImage refuses what addImage refuses, and an unknown id, changing nothing", async () => {
      const id = ordered[2]!.id;
      const before = (await graphql(`{ image(id: "${id}") { ${FIELDS} } }`)).data!.image;
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ id, category: 'x'.repeat(101) }, 'BAD_USER_INPUT', /'category' is too long: at most 100 characters/],
        [{ id, captions: Array.from({ length: 21 }, (_, i) => `caption ${i}`) }, 'BAD_USER_INPUT', /'captions': at most 20, got 21/],
        [{ id, category: 'fine', captions: ['y'.repeat(501)] }, 'BAD_USER_INPUT', /'captions': each at most 500 characters/],
        [{ id: 'no-such-image', category: 'fine' }, 'NOT_FOUND', /No image with id 'no-such-image'/],
      ];
      for (const [variables, code, message] of cases) {
        const answer = await graphql(
          `mutation ($id: ID!, $category: String, $captions: [String!]) {
             updateImage(id: $id, category: $category, captions: $captions) { id } }`,
          variables,
        );
        assert.equal(answer.errors?.[0]?.extensions?.code, code, JSON.stringify(answer.errors));
        assert.match(answer.errors![0]!.message, message);
      }
      assert.deepEqual((await graphql(`{ image(id: "${id}") { ${FIELDS} } }`)).data!.image, before);
    });
  });
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { ImageRepository } from '../src/repositories/imageRepository.js';
import { embeddingVersion } from '../src/embedding/imageModelSpec.js';
import { applyImageProjection, projectionVersion } from '../src/embedding/imageProjection.js';
import { heldOutNames } from '../src/dataset/split.js';
import { seedImageProjection } from '../seeds/imageProjection.js';
import { IMAGE_EMBEDDING_PHASE, imageSeedStores, seedImages } from '../seeds/images.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { countStatements, mirrored, otherPascalImage, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');
const CATEGORIES = ['aeroplane', 'car', 'cat', 'dog'];
const PER_CATEGORY = 8;

const MATCH = 'image { id category } distance';

interface Match {
  image: { id: string; category: string };
  distance: number;
}

for (const kind of storeKinds()) {
  describe(`images on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let assets: TestAssets;

    const rowCounts = async () => {
      const result = await t.app.db.primary.query(
        'SELECT (SELECT count(*) FROM images)::int AS images, (SELECT count(*) FROM image_files)::int AS files',
      );
      return result.rows[0] as { images: number; files: number };
    };
    const similar = async (args: string) => {
      const res = await gql<{ similarImages: Match[] }>(server.url, `{ similarImages(${args}) { ${MATCH} } }`);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.similarImages;
    };
    const seedStores = () => imageSeedStores(t.app.repositories, t.app.embedder, t.app.config.images.efSearch);
    const base64Of = (id: string) => readFileSync(assets.images.find((image) => image.id === id)!.file).toString('base64');

    serveDuringSuite(
      kind,
      (app, running, photos) => {
        [t, server, assets] = [app, running, photos];
      },
      { photos: { categories: CATEGORIES, perCategory: PER_CATEGORY } },
    );

    test('seeding resumes and never embeds an image twice', async () => {
      const half = await seedImages(seedStores(), t.app.embedder, { assetsDir: assets.dir, limit: 16 }, quiet);
      assert.equal(half.embedded, 16);
      const rest = await seedImages(seedStores(), t.app.embedder, { assetsDir: assets.dir, limit: 0 }, quiet);
      assert.equal(rest.embedded, assets.images.length - 16);
      const again = await seedImages(seedStores(), t.app.embedder, { assetsDir: assets.dir, limit: 0 }, quiet);
      assert.equal(again.skipped, true);
      assert.deepEqual(await rowCounts(), { images: assets.images.length, files: assets.images.length });
      const distinct = await t.app.db.primary.query('SELECT count(DISTINCT content_hash)::int AS n FROM images');
      assert.equal(distinct.rows[0].n, assets.images.length);
    });

    test('a changed embedding recipe re-embeds the stored images from their bytes, adding no rows', async () => {
      const { images, seedState } = t.app.repositories;
      const image = assets.images[1]!;
      const fresh = (await t.app.embedder.embedImage(readFileSync(image.file))).features;
      await images.updateFeatures([{ id: image.id, features: fresh.map((x) => -x) }]);
      await seedState.markDone(IMAGE_EMBEDDING_PHASE, { version: 'an older recipe' });
      const result = await seedImages(seedStores(), t.app.embedder, { assetsDir: assets.dir, limit: 0 }, quiet);
      assert.equal(result.skipped, true, 'no image is missing');
      const stored = (await images.findEmbeddings([image.id]))[0]!;
      assert.ok(stored.every((x, i) => Math.abs(x - fresh[i]!) < 1e-6), 'the stored vector is the current recipe again');
      assert.equal((await seedState.completed()).get(IMAGE_EMBEDDING_PHASE)?.version, embeddingVersion());
      assert.deepEqual(await rowCounts(), { images: assets.images.length, files: assets.images.length });
    });

    test('stored rows carry category, captions, size and the original bytes', async () => {
      const image = assets.images[0]!;
      const res = await gql(server.url, `{ image(id: "${image.id}") { id url category captions width height } }`);
      const stored = res.data!.image;
      assert.equal(stored.category, image.category);
      assert.deepEqual(stored.captions, image.captions);
      const meta = await sharp(image.file).metadata();
      assert.deepEqual([stored.width, stored.height], [meta.width, meta.height]);
      const response = await fetch(`${server.url}${stored.url}`);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), readFileSync(image.file));
    });

    test('app.seed() completes every phase: /readyz is 200', async () => {
      await t.app.seed();
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(await ready.clone().json()));
    });

    test('the image projection is fitted on the training split only, applied to every row, and kept on a re-run', async () => {
      const { projections, wordSpace, seedState } = t.app.repositories;
      const projection = (await projections.current())!;
      assert.ok(projection, 'seeding fitted a projection (4 categories)');
      const heldOut = heldOutNames(assets.images.map((image) => ({ name: image.id, category: image.category })));
      assert.equal(heldOut.size, CATEGORIES.length, 'one held-out image per category of 8');
      const trainIds = assets.images.map((image) => image.id).filter((id) => !heldOut.has(id));
      assert.equal(projection.version, projectionVersion(embeddingVersion(), trainIds));
      const rows = await t.app.db.primary.query<{ id: string; features: number[]; embedding: number[]; projection_version: string }>(
        'SELECT id, features, embedding, projection_version FROM images',
      );
      for (const row of rows.rows) {
        assert.equal(row.projection_version, projection.version);
        const expected = applyImageProjection(projection, Float32Array.from(row.features));
        assert.ok(row.embedding.every((x, i) => Math.abs(x - expected[i]!) < 1e-5), `${row.id} is projected`);
        assert.ok(row.embedding.some((x, i) => Math.abs(x - row.features[i]!) > 1e-3), `${row.id} differs from its features`);
      }
      const again = await seedImageProjection({ projections, wordSpace, seedState }, quiet);
      assert.deepEqual(again, { version: projection.version, fitted: false, reprojected: 0 });
    });

    test('a projection fitted elsewhere (another process) is used at once, without a restart', async () => {
      const { projections } = t.app.repositories;
      const fitted = (await projections.current())!;
      const { features } = await t.app.embedder.embedImage(readFileSync(assets.images[0]!.file));
      const searchVector = (features: Float32Array) => t.app.services.images.searchVector(features);
      assert.equal((await searchVector(features)).projectionVersion, fitted.version);
      const other = { ...fitted, version: 'fitted-elsewhere', weight: 1.5 };
      try {
        await projections.save(other);
        const searched = await searchVector(features);
        assert.equal(searched.projectionVersion, 'fitted-elsewhere');
        assert.deepEqual(searched.vector, applyImageProjection(other, features));
      } finally {
        await projections.save(fitted);
      }
      assert.equal((await searchVector(features)).projectionVersion, fitted.version);
    });

    test('compact() frees the dead row versions bulk rewrites leave: rewritten again and again, the table does not grow', async () => {
      // The table with its TOAST and indexes: a rewrite adds a copy of every row and every index entry.
      const size = async () =>
        (await t.app.db.primary.query<{ n: number }>("SELECT pg_total_relation_size('images')::int AS n")).rows[0]!.n;
      const rewrite = () => t.app.db.primary.query('UPDATE images SET embedding = embedding::text::vector');
      await t.app.repositories.images.compact();
      await rewrite();
      await t.app.repositories.images.compact();
      const steady = await size();
      for (let i = 0; i < 3; i++) {
        await rewrite();
        await t.app.repositories.images.compact();
      }
      const after = await size();
      // Without compact() each rewrite would add another copy of every row and index entry.
      assert.ok(after <= steady * 1.1 + 16 * 8192, `${after} bytes after three more rewrites, ${steady} before`);
    });

    test('similarImages by id excludes the query, is sorted, and mostly finds its category', async () => {
      let sameCategory = 0;
      for (const image of assets.images) {
        const matches = await similar(`id: "${image.id}", first: 5`);
        assert.equal(matches.length, 5);
        assert.ok(!matches.some((m) => m.image.id === image.id), 'the query image is excluded');
        const distances = matches.map((m) => m.distance);
        assert.deepEqual([...distances].sort((a, b) => a - b), distances);
        sameCategory += matches.filter((m) => m.image.category === image.category).length;
      }
      // Four distinct categories: a random ranking would give 7/31 ≈ 0.23.
      const precision = sameCategory / (5 * assets.images.length);
      assert.ok(precision >= 0.6, `P@5 ${precision.toFixed(2)}`);
    });

    test('similarImages by id and by base64 of the same image agree', async () => {
      for (const image of assets.images.slice(0, 4)) {
        const byId = await similar(`id: "${image.id}", first: 8`);
        const byBytes = await gql<{ similarImages: Match[] }>(
          server.url,
          `query($b: String!) { similarImages(image: { base64: $b }, first: 8) { ${MATCH} } }`,
          { b: base64Of(image.id) },
        );
        assert.equal(byBytes.errors, undefined);
        const fromBytes = byBytes.data!.similarImages;
        assert.deepEqual(
          fromBytes.map((m) => m.image.id),
          byId.map((m) => m.image.id),
        );
        fromBytes.forEach((m, i) => assert.ok(Math.abs(m.distance - byId[i]!.distance) < 1e-4));
      }
    });

    test('a category filter returns `first` results of that category (exact and iterative HNSW paths)', async () => {
      const query = assets.images.find((image) => image.category === 'cat')!;
      const matches = await similar(`id: "${query.id}", first: ${PER_CATEGORY}, category: "dog"`);
      assert.equal(matches.length, PER_CATEGORY);
      assert.ok(matches.every((m) => m.image.category === 'dog'));
      // The same search through the HNSW index with iterative scans.
      const embedding = (await t.app.repositories.images.findEmbeddings([query.id]))[0]!;
      const { contentHash } = (await t.app.repositories.images.findByIds([query.id]))[0]!;
      const viaIndex = new ImageRepository(t.app.db.primary, t.app.db.reader, 0);
      for (const category of ['dog', 'cat']) {
        const first = category === 'cat' ? PER_CATEGORY - 1 : PER_CATEGORY;
        const options = { first, category, excludeContentHash: contentHash, efSearch: 1 };
        const iterative = await viaIndex.nearest(embedding, options);
        const exact = await t.app.repositories.images.nearest(embedding, options);
        assert.equal(iterative.length, first, `${category}: iterative scan returns first=${first}`);
        assert.deepEqual(
          iterative.map((row) => row.id).sort(),
          exact.map((row) => row.id).sort(),
        );
      }
    });

    test('maxDistance drops farther matches', async () => {
      const query = assets.images[0]!;
      const all = await similar(`id: "${query.id}", first: 20`);
      const limit = all[9]!.distance;
      const near = await similar(`id: "${query.id}", first: 20, maxDistance: ${limit}`);
      assert.deepEqual(
        near.map((m) => m.image.id),
        all.filter((m) => m.distance <= limit).map((m) => m.image.id),
      );
      assert.ok(near.length < all.length);
    });

    test('addImage stores a new image that similarImages finds at once; the same bytes again are not stored twice', async () => {
      const before = await rowCounts();
      const original = assets.images.find((image) => image.category === 'dog')!;
      const flipped = await mirrored(readFileSync(original.file), 'png');
      const added = await gql(
        server.url,
        `mutation($b: String!) { addImage(image: { base64: $b }, category: "dog", captions: [" A dog, mirrored. "]) { id url category captions width height } }`,
        { b: `data:image/png;base64,${flipped.toString('base64')}` },
      );
      assert.equal(added.errors, undefined, JSON.stringify(added.errors));
      const image = added.data!.addImage;
      assert.deepEqual(image.captions, ['A dog, mirrored.']);
      const meta = await sharp(original.file).metadata();
      assert.deepEqual([image.width, image.height], [meta.width, meta.height]);
      assert.deepEqual(await rowCounts(), { images: before.images + 1, files: before.files + 1 });

      const nearest = await similar(`id: "${original.id}", first: 3`);
      assert.equal(nearest[0]!.image.id, image.id, 'the mirror image is the nearest');
      const file = await fetch(`${server.url}${image.url}`);
      assert.equal(file.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await file.arrayBuffer()), flipped);

      const again = await gql(server.url, `mutation($b: String!) { addImage(image: { base64: $b }) { id } }`, {
        b: flipped.toString('base64'),
      });
      assert.equal(again.data!.addImage.id, image.id);
      assert.deepEqual(await rowCounts(), { images: before.images + 1, files: before.files + 1 });
    });

    test('a new WebP image of another photo is searchable by bytes without being stored', async () => {
      const spare = otherPascalImage('car', assets.images);
      const webp = await sharp(readFileSync(spare.file)).webp().toBuffer();
      const before = await rowCounts();
      const res = await gql<{ similarImages: Match[] }>(
        server.url,
        `query($b: String!) { similarImages(image: { base64: $b }, first: 5) { ${MATCH} } }`,
        { b: webp.toString('base64') },
      );
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.similarImages.length, 5);
      assert.deepEqual(await rowCounts(), before);
    });

    test('images: Relay pages cover every image once; a category filter and totalCount', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      for (;;) {
        const res: any = await gql(
          server.url,
          `query($after: String) { images(first: 10, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
        assert.equal(res.errors, undefined);
        const page = res.data.images;
        total = page.totalCount;
        seen.push(...page.edges.map((edge: { node: { id: string } }) => edge.node.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
      const cats = await gql(server.url, '{ images(first: 100, category: "cat") { totalCount edges { node { category } } } }');
      assert.equal(cats.data!.images.totalCount, PER_CATEGORY);
      assert.ok(cats.data!.images.edges.every((edge: { node: { category: string } }) => edge.node.category === 'cat'));
    });

    test('Image.similar nests and image(id) is null for an unknown id', async () => {
      const id = assets.images[0]!.id;
      const res = await gql(server.url, `{ image(id: "${id}") { similar(first: 3) { image { id similar(first: 2) { distance } } } } missing: image(id: "nope") { id } }`);
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.image.similar.length, 3);
      assert.equal(res.data!.image.similar[0].image.similar.length, 2);
      assert.equal(res.data!.missing, null);
    });

    test('Image lookups in one request are batched by a DataLoader: one query for 1 or 8 images', async () => {
      const pools = [t.app.db.primary, t.app.db.reader];
      const lookup = (ids: string[]) =>
        `{ ${ids.map((id, i) => `i${i}: image(id: "${id}") { id category }`).join(' ')} }`;
      const ids = assets.images.slice(0, 8).map((image) => image.id);
      let eight: Record<string, { id: string }> = {};
      const one = await countStatements(pools, () => gql(server.url, lookup(ids.slice(0, 1))));
      const many = await countStatements(pools, async () => (eight = (await gql(server.url, lookup(ids))).data!));
      assert.equal(one, 1);
      assert.equal(many, 1, `${many} queries for 8 images`);
      assert.deepEqual(Object.values(eight).map((image) => image.id), ids);
    });

    test('GET /images/:id: caching headers, 304, ?w= thumbnails, 404 and 400', async () => {
      const id = assets.images[0]!.id;
      const full = await fetch(`${server.url}/images/${id}`);
      const etag = full.headers.get('etag')!;
      assert.match(full.headers.get('cache-control')!, /max-age=\d+/);
      assert.ok(etag);
      const cached = await fetch(`${server.url}/images/${id}`, { headers: { 'if-none-match': etag } });
      assert.equal(cached.status, 304);
      const thumb = await fetch(`${server.url}/images/${id}?w=64`);
      assert.equal(thumb.status, 200);
      assert.notEqual(thumb.headers.get('etag'), etag);
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      assert.equal(meta.width, 64);
      assert.equal((await fetch(`${server.url}/images/nope`)).status, 404);
      assert.equal((await fetch(`${server.url}/images/${id}?w=0`)).status, 400);
      assert.equal((await fetch(`${server.url}/images/${id}?w=abc`)).status, 400);
    });

    const jpeg = () => readFileSync(assets.images[0]!.file);
    const badImages: [string, () => string, RegExp][] = [
      ['not base64', () => '@@@ not base64 @@@', /not valid base64/],
      ['empty', () => 'data:image/png;base64,', /empty/],
      ['bytes that are no image', () => Buffer.from('hello, this is text').toString('base64'), /not a readable image/],
      ['a truncated JPEG', () => jpeg().subarray(0, Math.floor(jpeg().length / 2)).toString('base64'), /not a readable image/],
      ['an unsupported format (GIF)', () => Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64').toString('base64'), /unsupported image format 'gif'/],
    ];
    for (const [name, bytes, message] of badImages) {
      test(`BAD_USER_INPUT and no rows left: ${name}`, async () => {
        const before = await rowCounts();
        const add = await gql(server.url, `mutation($b: String!) { addImage(image: { base64: $b }, category: "x") { id } }`, {
          b: bytes(),
        });
        assert.equal(add.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(add.errors));
        assert.match(add.errors![0]!.message, message);
        const search = await gql(server.url, `query($b: String!) { similarImages(image: { base64: $b }) { distance } }`, {
          b: bytes(),
        });
        assert.equal(search.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.deepEqual(await rowCounts(), before);
      });
    }

    const badQueries: [string, string, string, RegExp][] = [
      ['neither id nor image', '{ similarImages { distance } }', 'BAD_USER_INPUT', /exactly one/],
      ['both id and image', '{ similarImages(id: "a", image: { base64: "AAAA" }) { distance } }', 'BAD_USER_INPUT', /exactly one/],
      ['unknown id', '{ similarImages(id: "nope") { distance } }', 'NOT_FOUND', /No image with id 'nope'/],
      ['first = 0', '{ similarImages(id: "nope", first: 0) { distance } }', 'BAD_USER_INPUT', /between 1 and 100/],
      ['maxDistance = 3', '{ similarImages(id: "nope", maxDistance: 3) { distance } }', 'BAD_USER_INPUT', /between 0 and 2/],
      ['unknown category', '{ images(category: "unicorn") { totalCount } }', 'BAD_USER_INPUT', /No images in category 'unicorn'. Categories: aeroplane, car, cat, dog/],
      ['bad cursor', '{ images(after: "xyz") { totalCount } }', 'BAD_USER_INPUT', /not a cursor/],
    ];
    for (const [name, query, code, message] of badQueries) {
      test(`${code}: ${name}`, async () => {
        const res = await gql(server.url, query);
        assert.equal(res.errors?.[0]?.extensions?.code, code, JSON.stringify(res.errors));
        assert.match(res.errors![0]!.message, message);
      });
    }
  });
}

// GET /images on each store: a large original comes whole but a slice per
// query, a thumbnail is made once and served from the cache the second time
// (one small query, no read of the original), concurrent requests for it
// share one resize, and a deleted photo is 404 although its thumbnail is kept.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { listPascalImages } from '../src/dataset/pascal.js';
import type { RunningServer } from '../src/http/server.js';
import { ThumbnailCache } from '../src/http/thumbnails.js';
import { createLogger } from '../src/logger.js';
import { SLICE_BYTES } from '../src/services/photoFiles.js';
import { createTestApp, OPEN_WRITES, startTestServer, type TestApp } from './helpers/app.js';
import { countStatements, realAssetsDir } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

async function get(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

for (const kind of storeKinds()) {
  describe(`stored photos over HTTP on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let large: Buffer;
    let id: string;
    const queries = (run: () => Promise<unknown>) => countStatements([t.app.db.primary, t.app.db.reader], run);

    before(async () => {
      t = await createTestApp(kind, { EMBED_WORKERS: '1' });
      await t.app.loadModels();
      server = await startTestServer(t.app, { writes: OPEN_WRITES, logger: createLogger('silent'), thumbnailCacheBytes: 8 * 1024 * 1024 });
      // Several MB: many slices.
      const source = readFileSync(listPascalImages(realAssetsDir())[0]!.file);
      large = await sharp(source).resize({ width: 3000 }).jpeg({ quality: 100 }).toBuffer();
      assert.ok(large.length > 3 * SLICE_BYTES, `${large.length} bytes`);
      id = (await t.app.services.images.addImage({ base64: large.toString('base64') }, 'test')).id;
    });
    after(async () => {
      await server?.close();
      await t?.close();
    });

    test('the original comes whole, read a slice per query', async () => {
      let answer: Awaited<ReturnType<typeof get>> | undefined;
      const count = await queries(async () => (answer = await get(`${server.url}/images/${id}`)));
      assert.equal(answer!.status, 200);
      assert.equal(answer!.headers.get('content-type'), 'image/jpeg');
      assert.equal(Number(answer!.headers.get('content-length')), large.length);
      assert.ok(answer!.bytes.equals(large), 'the bytes differ from those stored');
      // Its size and type, then one query per slice.
      assert.equal(count, 1 + Math.ceil(large.length / SLICE_BYTES));
    });

    test('a thumbnail is made once, then served from the cache: one small query, no read of the original', async () => {
      let first: Awaited<ReturnType<typeof get>> | undefined;
      const firstQueries = await queries(async () => (first = await get(`${server.url}/images/${id}?w=160`)));
      assert.equal(first!.status, 200);
      assert.equal((await sharp(first!.bytes).metadata()).width, 160);
      assert.equal(firstQueries, 1 + Math.ceil(large.length / SLICE_BYTES));

      let second: Awaited<ReturnType<typeof get>> | undefined;
      const secondQueries = await queries(async () => (second = await get(`${server.url}/images/${id}?w=160`)));
      assert.equal(second!.status, 200);
      assert.ok(second!.bytes.equals(first!.bytes));
      assert.equal(secondQueries, 1, 'the second request read the original again');

      // Another width is another thumbnail; 8 at once share one resize and one read.
      const eight = await Promise.all(Array.from({ length: 8 }, () => get(`${server.url}/images/${id}?w=90`)));
      for (const answer of eight) {
        assert.equal(answer.status, 200);
        assert.ok(answer.bytes.equals(eight[0]!.bytes));
      }
      assert.equal((await sharp(eight[0]!.bytes).metadata()).width, 90);
    });

    test('a deleted photo is 404, although its thumbnail is still cached', async () => {
      const other = await sharp(large).flop().jpeg().toBuffer();
      const otherId = (await t.app.services.images.addImage({ base64: other.toString('base64') }, 'test')).id;
      assert.equal((await get(`${server.url}/images/${otherId}?w=120`)).status, 200);
      assert.equal(await t.app.services.images.deleteImage(otherId), true);
      assert.equal((await get(`${server.url}/images/${otherId}?w=120`)).status, 404);
      assert.equal((await get(`${server.url}/images/${otherId}`)).status, 404);
    });
  });
}

describe('the thumbnail cache', () => {
  test('keeps at most its bytes, the least recently used leaving first, and shares a resize in progress', async () => {
    const cache = new ThumbnailCache(1000);
    const made: string[] = [];
    const make = (key: string, size: number) => () => {
      made.push(key);
      return Promise.resolve(Buffer.alloc(size));
    };
    await Promise.all([cache.get('a', make('a', 100)), cache.get('a', make('a', 100))]);
    assert.deepEqual(made, ['a']);
    for (const key of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) {
      await cache.get(key, make(key, 100));
      await cache.get('a', make('a', 100)); // 'a' stays recently used.
    }
    assert.equal(cache.bytes, 1000);
    await cache.get('k', make('k', 100));
    assert.ok(cache.bytes <= 1000);
    await cache.get('a', make('a', 100));
    await cache.get('b', make('b', 100));
    // 'b' was the least recently used: it left for 'k' and is made again; 'a' never left.
    assert.deepEqual(made.filter((key) => key === 'a' || key === 'b'), ['a', 'b', 'b']);
    // Larger than an eighth of the cache: served, not kept.
    await cache.get('big', make('big', 200));
    await cache.get('big', make('big', 200));
    assert.deepEqual(made.filter((key) => key === 'big'), ['big', 'big']);
    // Nothing to make it from: null, and not kept.
    assert.equal(await cache.get('gone', () => Promise.resolve(null)), null);
  });
});

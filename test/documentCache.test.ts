// The parsed-document cache counts what a document holds (its text, or its
// tokens when there are many), so distinct padded queries cannot grow the
// heap past the cache's bound.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import { parse } from 'graphql';
import { REQUEST_LIMITS } from '../src/http/limits.js';
import { DOCUMENT_CACHE_BYTES, documentBytes, documentCache } from '../src/http/queryCaches.js';
import { sha256 } from '../src/lib/hash.js';
import { paddedQuery } from './helpers/graphql.js';

const MiB = 1024 * 1024;

describe('the parsed-document cache counts what it holds', () => {
  test('a padded document counts its text, a long one its tokens', () => {
    const padded = parse(paddedQuery(1, REQUEST_LIMITS.maxQueryLength));
    assert.ok(documentBytes(padded) >= 2 * REQUEST_LIMITS.maxQueryLength);
    const manyTokens = parse(`{ ${'__typename '.repeat(500)}}`);
    assert.ok(documentBytes(manyTokens) >= 500 * 500);
  });

  test('3000 distinct padded documents (54 MB held if all were kept) stay within the cache bound', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = documentCache();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 3000; k++) {
      const query = paddedQuery(k, REQUEST_LIMITS.maxQueryLength);
      await cache.set(sha256(query), parse(query));
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < DOCUMENT_CACHE_BYTES, `heap grew ${Math.round(grown / MiB)} MiB with a cache bound of ${DOCUMENT_CACHE_BYTES / MiB} MiB`);
    assert.ok(cache.keys().length < 3000);
  });
});

// The bad-input catalogue: each request is refused with its documented status
// and error code, the server keeps answering, and nothing is stored.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { createLogger } from '../src/logger.js';
import type { RunningServer } from '../src/http/server.js';
import { MAX_BODY_BYTES, QUERY_LIMITS } from '../src/http/limits.js';
import { seedWords } from '../seeds/words.js';
import { createTestApp, serveDuringSuite, startTestServer, type TestApp } from './helpers/app.js';
import { gql, postGraphQL, request, type Answer } from './helpers/graphql.js';
import { noiseImage } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

interface Case {
  name: string;
  /** A GraphQL request (query + variables) or a raw body. */
  query?: string;
  variables?: Record<string, unknown>;
  raw?: string;
  contentType?: string;
  method?: 'GET' | 'POST';
  status: number;
  code: string;
  message: RegExp;
}

// ---- bad image bytes, built here -------------------------------------------------

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 1-bit PNG of side×side white pixels: a few KB that decode to side² pixels. */
function pixelBombPng(side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const rowBytes = 1 + Math.ceil(side / 8);
  const pixels = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

// ---- the catalogue ---------------------------------------------------------------------

const SIMILAR_WORDS = 'query ($word: String!, $first: Int) { similarWords(word: $word, first: $first) { word { text } } }';
const SIMILAR_BY_IMAGE = 'query ($b: String!) { similarImages(image: { base64: $b }) { distance } }';
const ADD_IMAGE = 'mutation ($b: String!) { addImage(image: { base64: $b }) { id } }';

function nested(depth: number): string {
  let selection = 'text';
  for (let i = 0; i < depth; i++) selection = `similar(first: 1) { word { ${selection} } }`;
  return `{ similarWords(word: "dog", first: 1) { word { ${selection} } } }`;
}

async function catalogue(): Promise<Case[]> {
  const jpeg = await noiseImage({ width: 64 });
  const invalid = (name: string, query: string, message: RegExp): Case => ({
    name,
    query,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message,
  });
  const bad = (name: string, extra: Omit<Case, 'name' | 'status' | 'code'> & Partial<Case>): Case => ({
    name,
    status: 200,
    code: 'BAD_USER_INPUT',
    ...extra,
  });
  return [
    // words and text
    bad('unknown word', { query: SIMILAR_WORDS, variables: { word: 'qwzxv' }, message: /No known words in 'qwzxv'/ }),
    bad('empty word', { query: SIMILAR_WORDS, variables: { word: '' }, message: /empty/ }),
    bad('blank word', { query: SIMILAR_WORDS, variables: { word: ' \t\n ' }, message: /empty/ }),
    bad('unicode-only text', { query: SIMILAR_WORDS, variables: { word: '犬 🐶 ÿ' }, message: /No known words/ }),
    bad('NUL character in text', { query: SIMILAR_WORDS, variables: { word: 'dog\u0000' }, status: 400, message: /NUL character/ }),
    bad('NUL character in an inline id', { query: '{ similarImages(id: "a\\u0000b") { distance } }', status: 400, message: /NUL character/ }),
    bad('text of 100,000 characters', { query: SIMILAR_WORDS, variables: { word: 'dog '.repeat(25_000) }, message: /too long: at most/ }),
    bad('SQL-looking text', { query: SIMILAR_WORDS, variables: { word: "x'||pg_sleep(10)--" }, message: /No known words/ }),
    bad('first = 0', { query: SIMILAR_WORDS, variables: { word: 'dog', first: 0 }, message: /between 1 and 100/ }),
    bad('first negative', { query: SIMILAR_WORDS, variables: { word: 'dog', first: -3 }, message: /between 1 and 100/ }),
    bad('first = 1,000,000', { query: SIMILAR_WORDS, variables: { word: 'dog', first: 1_000_000 }, message: /between 1 and 100/ }),
    bad('first beyond 32-bit Int', { query: SIMILAR_WORDS, variables: { word: 'dog', first: 2 ** 40 }, status: 400, message: /Int cannot represent/ }),
    bad('word missing (null)', { query: SIMILAR_WORDS, variables: { word: null }, status: 400, message: /must not be null/ }),
    // query shape (GraphQL Armor rules; tokens by graphql-js)
    invalid('query nested too deep', nested(6), new RegExp(`depth limit of ${QUERY_LIMITS.maxDepth}`)),
    invalid(
      'alias flood',
      `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: similarWords(word: "dog") { distance }`).join(' ')} }`,
      /Aliases limit/,
    ),
    invalid('directive flood', `{ __typename ${'@skip(if: false) '.repeat(30)} }`, /Directives limit/),
    bad('cost flood (nested lists)', {
      query: '{ similarWords(word: "dog", first: 100) { word { similar(first: 100) { word { text } } } } }',
      status: 400,
      message: /too expensive: cost \d+, at most 5000/,
    }),
    bad('cost flood (aliases of nested lists)', {
      query: `{ ${Array.from({ length: 9 }, (_, i) => `a${i}: similarWords(word: "dog") { word { similar { word { similar { word { similar { distance } } } } } } }`).join(' ')} }`,
      status: 400,
      message: /too expensive/,
    }),
    {
      name: 'token flood',
      query: `{ similarWords(word: "dog") { ${'distance '.repeat(1_500)} } }`,
      status: 400,
      code: 'GRAPHQL_PARSE_FAILED',
      message: /more th.. 1000 tokens/,
    },
    {
      name: 'unknown field',
      query: '{ similarWord(word: "dog") { distance } }',
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: /Cannot query field "similarWord"/,
    },
    { name: 'GraphQL syntax error', query: '{ similarWords(word: "dog" { distance }', status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /Syntax Error/ },
    // HTTP
    { name: 'malformed JSON', raw: '{"query": "{ __typename }"', status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ },
    { name: 'empty JSON object', raw: '{}', status: 400, code: 'BAD_REQUEST', message: /POST body missing|non-empty/ },
    { name: 'batched operations', raw: '[{"query":"{ __typename }"},{"query":"{ __typename }"}]', status: 400, code: 'BAD_REQUEST', message: /batching/i },
    {
      name: 'wrong content type (text/plain)',
      raw: '{"query":"{ __typename }"}',
      contentType: 'text/plain',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /application\/json/,
    },
    {
      name: 'GET without a CSRF preflight header',
      method: 'GET',
      query: '{ __typename }',
      status: 400,
      code: 'BAD_REQUEST',
      message: /Cross-Site Request Forgery/,
    },
    {
      name: 'body over the size limit',
      query: SIMILAR_BY_IMAGE,
      variables: { b: 'A'.repeat(MAX_BODY_BYTES + 1) },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: /larger than/,
    },
    // images
    bad('similarImages with neither id nor image', { query: '{ similarImages { distance } }', message: /exactly one of 'id'.*neither/ }),
    bad('similarImages with both id and image', {
      query: `{ similarImages(id: "x", image: { base64: "${b64(jpeg)}" }) { distance } }`,
      message: /exactly one of 'id'.*both/,
    }),
    { ...bad('unknown image id', { query: '{ similarImages(id: "2008_999999") { distance } }', message: /No image with id/ }), code: 'NOT_FOUND' },
    {
      ...bad('SQL-looking image id', { query: `{ similarImages(id: "x' OR '1'='1") { distance } }`, message: /No image with id/ }),
      code: 'NOT_FOUND',
    },
    bad('non-image bytes', { query: SIMILAR_BY_IMAGE, variables: { b: b64(Buffer.from('hello, not an image')) }, message: /not a readable image/ }),
    bad('truncated JPEG', { query: SIMILAR_BY_IMAGE, variables: { b: b64(jpeg.subarray(0, jpeg.length >> 1)) }, message: /image/ }),
    bad('pixel bomb PNG (100 megapixels)', { query: SIMILAR_BY_IMAGE, variables: { b: b64(pixelBombPng(10_000)) }, message: /pixel/i }),
    bad('unsupported format (TIFF)', { query: SIMILAR_BY_IMAGE, variables: { b: b64(await noiseImage({ width: 64, format: 'tiff' })) }, message: /unsupported image format 'tiff'/ }),
    bad('invalid base64', { query: SIMILAR_BY_IMAGE, variables: { b: '!!!not base64???' }, message: /not valid base64/ }),
    bad('empty base64', { query: SIMILAR_BY_IMAGE, variables: { b: '' }, message: /empty/ }),
    bad('decoded image over 10 MiB', { query: SIMILAR_BY_IMAGE, variables: { b: 'A'.repeat(14_100_000) }, message: /bytes are accepted/ }),
    bad('addImage of non-image bytes', { query: ADD_IMAGE, variables: { b: b64(Buffer.from('%PDF-1.4 not an image')) }, message: /not a readable image/ }),
    bad('addImage of a truncated JPEG', { query: ADD_IMAGE, variables: { b: b64(jpeg.subarray(0, 200)) }, message: /image/ }),
  ];
}

function send(baseUrl: string, c: Case): Promise<Answer> {
  if (c.method === 'GET') return request(baseUrl, `/graphql?query=${encodeURIComponent(c.query!)}`);
  const headers: Record<string, string> = c.contentType ? { 'content-type': c.contentType } : {};
  return postGraphQL(baseUrl, c.raw ?? { query: c.query, variables: c.variables ?? {} }, headers);
}

function filesUnder(dir: string, skip: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.startsWith(skip));
}

async function storedImageRows(t: TestApp): Promise<number> {
  const result = await t.app.db.primary.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM images) + (SELECT count(*) FROM image_files) AS n',
  );
  return Number(result.rows[0]!.n);
}

const quiet = createLogger('silent');

for (const kind of storeKinds()) {
  describe(`bad-input catalogue on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let cases: Case[];
    let filesBefore: string[];
    let wordsBefore: number;

    before(async () => {
      t = await createTestApp(kind);
      const { words, seedState } = t.app.repositories;
      await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, quiet);
      server = await startTestServer(t.app);
      cases = await catalogue();
      filesBefore = filesUnder(t.app.config.dataDir, path.join(t.app.config.dataDir, 'pglite'));
      wordsBefore = await words.count();
    });
    after(async () => {
      await server?.close();
      await t?.close();
    });

    test('the catalogue has at least 25 cases', (t) => {
      t.diagnostic(`${cases.length} cases`);
      assert.ok(cases.length >= 25);
    });

    test('each bad input gets its documented status, code and message; the server stays up', async () => {
      const failures: string[] = [];
      for (const c of cases) {
        const { status, body, text } = await send(server.url, c);
        const error = body?.errors?.[0];
        const problems = [
          status !== c.status && `status ${status} (expected ${c.status})`,
          error?.extensions?.code !== c.code && `code ${error?.extensions?.code} (expected ${c.code})`,
          !c.message.test(error?.message ?? '') && `message '${String(error?.message ?? text).slice(0, 200)}'`,
          body?.data && Object.values(body.data).some((value) => value !== null) && 'data returned',
        ].filter(Boolean);
        if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')}`);
        const health = await fetch(`${server.url}/healthz`);
        assert.equal(health.status, 200, `server down after '${c.name}'`);
      }
      assert.deepEqual(failures, []);
    });

    test('nothing was stored: no image row, no new file', async () => {
      assert.equal(await storedImageRows(t), 0);
      assert.deepEqual(filesUnder(t.app.config.dataDir, path.join(t.app.config.dataDir, 'pglite')), filesBefore);
      assert.equal(await t.app.repositories.words.count(), wordsBefore);
    });

    test('a good request still works after the catalogue', async () => {
      const { status, body } = await send(server.url, {
        name: 'good',
        query: SIMILAR_WORDS,
        variables: { word: 'dog', first: 3 },
        status: 200,
        code: '',
        message: /./,
      });
      assert.equal(status, 200);
      assert.equal(body.data.similarWords.length, 3);
    });
  });
}

describe('production mode', () => {
  let server: RunningServer;

  serveDuringSuite(
    'pglite',
    (_app, running) => {
      server = running;
    },
    { env: { NODE_ENV: 'production' } },
  );

  test('introspection is off', async () => {
    const body = await gql(server.url, '{ __schema { types { name } } }');
    assert.equal(body.errors![0]!.extensions!.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(body.errors![0]!.message, /introspection/i);
  });

  test('errors carry no stack trace and no field suggestions', async () => {
    const body = await gql(server.url, '{ similarWord(word: "dog") { distance } }');
    assert.equal(body.errors![0]!.extensions!.stacktrace, undefined);
    assert.doesNotMatch(body.errors![0]!.message, /Did you mean/);
  });
});

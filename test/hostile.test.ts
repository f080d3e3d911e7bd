// Hostile and careless clients, on each store, against a production-mode
// server: every malformed or over-limit request gets a coded JSON 4xx and one
// log line without a stack, client input is echoed at most ~100 characters,
// uploads under a flood get 503 with Retry-After (refused before the body is
// read), and the server keeps answering. The heavy memory runs are
// `npm run bench -- --hostile`.
import assert from 'node:assert/strict';
import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listPascalImages } from '../src/dataset/pascal.js';
import { REQUEST_LIMITS } from '../src/http/limits.js';
import type { RunningServer } from '../src/http/server.js';
import { runImport } from '../src/import/importJob.js';
import { apiSink } from '../src/import/sinks.js';
import { sha256 } from '../src/lib/hash.js';
import type { Logger } from '../src/logger.js';
import { createTestApp, OPEN_WRITES, startTestServer, type TestApp } from './helpers/app.js';
import { paddedQuery, postGraphQL, request, type Answer } from './helpers/graphql.js';
import { noiseImage, realAssetsDir } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const MiB = 1024 * 1024;

const json = (body: unknown) => JSON.stringify(body);

interface Case {
  name: string;
  send(url: string): Promise<Answer>;
  status: number;
  code: string;
  message: RegExp;
}

const nestedArrays = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);
const longId = 'x'.repeat(MiB);

/** Every refusal of the issue, and more of the same kinds. */
function catalogue(): Case[] {
  const post = (name: string, body: string | Buffer, status: number, code: string, message: RegExp, headers: Record<string, string> = {}): Case => ({
    name,
    send: (url) => postGraphQL(url, body, headers),
    status,
    code,
    message,
  });
  const get = (name: string, path: string, status: number, code: string, message: RegExp): Case => ({
    name,
    send: (url) => request(url, path, { headers: { 'apollo-require-preflight': 'true' } }),
    status,
    code,
    message,
  });
  const typename = json({ query: '{ __typename }' });
  return [
    // memory: the query text is capped before parsing
    post('query padded past the cap', json({ query: paddedQuery(1, MiB) }), 413, 'PAYLOAD_TOO_LARGE', /query text is 1048576 characters, at most 16384/),
    post('14 MB comment (the reported crash)', json({ query: `#1${'x'.repeat(14_000_000)}\n{ __typename }` }), 413, 'PAYLOAD_TOO_LARGE', /query text/),
    // recursion and size of variables, before JSON.parse
    post('variables nested 5000 deep', `{"query":"{ __typename }","variables":{"x":${nestedArrays(5000)}}}`, 400, 'BAD_REQUEST', /nested more than 16 levels/),
    post('objects nested 100 deep', `{"query":"{ __typename }","variables":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, 400, 'BAD_REQUEST', /nested more than/),
    post('extensions nested 100 deep', `{"query":"{ __typename }","extensions":{"x":${nestedArrays(100)}}}`, 400, 'BAD_REQUEST', /nested more than/),
    post('variables of 20,000 numbers', json({ query: '{ __typename }', variables: { x: Array(20_000).fill(0) } }), 413, 'PAYLOAD_TOO_LARGE', /more than 10000 array items/),
    post('NUL deep in an undeclared variable', json({ query: '{ __typename }', variables: { x: JSON.parse(nestedArrays(12, '"a\\u0000b"')) } }), 400, 'BAD_USER_INPUT', /NUL character/),
    get('GET with variables nested 50 deep', `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(`{"x":${nestedArrays(50)}}`)}`, 400, 'BAD_REQUEST', /variables is nested/),
    // malformed bodies and encodings
    post('malformed JSON', '{"query": "{ __typename }"', 400, 'BAD_REQUEST', /not valid JSON/),
    post('JSON with a lone surrogate escape and garbage', '{"query": "\\ud800"}}}', 400, 'BAD_REQUEST', /not valid JSON/),
    post('corrupt gzip body', Buffer.from('not gzip at all'), 400, 'BAD_REQUEST', /content-encoding/, { 'content-encoding': 'gzip' }),
    post('corrupt br body', Buffer.from('not brotli at all'), 400, 'BAD_REQUEST', /content-encoding/, { 'content-encoding': 'br' }),
    post('corrupt deflate body', Buffer.from('not deflate'), 400, 'BAD_REQUEST', /content-encoding/, { 'content-encoding': 'deflate' }),
    post('gzip of truncated JSON', gzipSync('{"query": "{ __typ'), 400, 'BAD_REQUEST', /not valid JSON/, { 'content-encoding': 'gzip' }),
    post('unknown content-encoding', Buffer.from(typename), 415, 'UNSUPPORTED_MEDIA_TYPE', /content-encoding 'x-foo' is not supported/, { 'content-encoding': 'x-foo' }),
    post('unknown charset', Buffer.from(typename), 415, 'UNSUPPORTED_MEDIA_TYPE', /charset 'x-klingon'/, { 'content-type': 'application/json; charset=x-klingon' }),
    post('gzip bomb (16 MiB of zeros in 16 KB)', gzipSync(Buffer.alloc(16 * MiB)), 413, 'PAYLOAD_TOO_LARGE', /larger than/, { 'content-encoding': 'gzip' }),
    post('long content-type', typename, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/, { 'content-type': `text/${'x'.repeat(8000)}` }),
    // operations Apollo would answer as internal errors
    post('subscription', json({ query: 'subscription { __typename }' }), 400, 'GRAPHQL_VALIDATION_FAILED', /no subscriptions/),
    post('named subscription beside a query', json({ query: 'query A { __typename } subscription B { __typename }', operationName: 'A' }), 400, 'GRAPHQL_VALIDATION_FAILED', /no subscriptions/),
    post('persisted-query hash mismatch', json({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), 400, 'BAD_REQUEST', /does not match/),
    post('persisted-query version 2', json({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ __typename }') } } }), 400, 'BAD_REQUEST', /version/),
    // echoes
    post('1 MB id', json({ query: 'query ($id: ID!) { similarImages(id: $id) { distance } }', variables: { id: longId } }), 200, 'NOT_FOUND', /No image with id 'x{100}… \(1048576 characters\)'/),
    post('1 MB string for an Int', json({ query: 'query ($f: Int) { images(first: $f) { totalCount } }', variables: { f: longId } }), 400, 'BAD_USER_INPUT', /Int cannot represent/),
    post('10 KB field name', json({ query: `{ ${'a'.repeat(10_000)} }` }), 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "a{100}…"/),
    post('10 KB unknown operation name', json({ query: '{ __typename }', operationName: 'o'.repeat(10_000) }), 400, 'OPERATION_RESOLUTION_FAILURE', /Unknown operation named "o{100}…"/),
    // paths
    get('NUL in an image path', '/images/2008_000032%00.jpg', 400, 'BAD_REQUEST', /NUL character/),
    get('invalid percent-encoding in a path', '/images/%ff%fe', 400, 'BAD_REQUEST', /percent-encoding/),
    get('a lone % in a path', '/images/%', 400, 'BAD_REQUEST', /percent-encoding/),
    get('an encoded UTF-16 surrogate', '/images/%ED%A0%80', 400, 'BAD_REQUEST', /percent-encoding/),
    get('overlong UTF-8 dots', '/images/%C0%AE%C0%AE%2fetc', 400, 'BAD_REQUEST', /percent-encoding/),
    get('encoded path traversal', '/images/..%2f..%2fetc%2fpasswd', 404, 'NOT_FOUND', /No image with id '\.\.\/\.\.\/etc\/passwd'/),
    get('a 10,000-character image id', `/images/${'y'.repeat(10_000)}`, 404, 'NOT_FOUND', /'y{100}… \(10000 characters\)'/),
    get('unknown path', '/nothing/here', 404, 'NOT_FOUND', /nothing at GET/),
    get('thumbnail width of 1 MB', `/images/x?w=${'9'.repeat(10_000)}`, 400, 'BAD_USER_INPUT', /'w' must be/),
  ];
}

/** Collects what the server logs. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  return { lines, debug: () => undefined, info: keep, warn: keep, error: keep };
}

/**
 * What was logged from line `from` on. A request's line is written when its
 * response closes, just after the client has read the answer: wait for it,
 * then a moment longer for any second line.
 */
async function linesSince(logger: { lines: string[] }, from: number): Promise<string[]> {
  const deadline = Date.now() + 1_000;
  while (logger.lines.length === from && Date.now() < deadline) await sleep(5);
  await sleep(20);
  return logger.lines.slice(from);
}

/** Sends headers and the first bytes of a declared body, then waits: the answer (or none within `ms`). */
function answerBeforeBody(url: string, declaredBytes: number, extraHeaders: Record<string, string>, ms: number): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const req = http.request(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declaredBytes), ...extraHeaders },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(undefined);
    }, ms);
    req.on('continue', () => req.write('{"query":'));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined, text });
      });
    });
    req.on('error', () => undefined);
    if (!extraHeaders.expect) req.write('{"query":');
  });
}

const TEST_TIMEOUTS = { headersSeconds: 2, bodySeconds: 1, uploadBodySeconds: 2, keepAliveSeconds: 5 };

for (const kind of storeKinds()) {
  describe(`hostile clients on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    const logger = capturingLogger();

    before(async () => {
      t = await createTestApp(kind, { NODE_ENV: 'production', EMBED_WORKERS: '1' });
      server = await startTestServer(t.app, { writes: OPEN_WRITES, logger, timeouts: TEST_TIMEOUTS });
    });
    after(async () => {
      await server?.close();
      await t?.close();
    });

    test('every malformed or over-limit request: coded JSON, its 4xx, a short message, one log line without a stack', async () => {
      const failures: string[] = [];
      for (const c of catalogue()) {
        const logged = logger.lines.length;
        const answer = await c.send(server.url);
        const error = answer.body?.errors?.[0];
        const lines = await linesSince(logger, logged);
        const problems = [
          answer.status !== c.status && `status ${answer.status} (expected ${c.status})`,
          !String(answer.headers['content-type']).startsWith('application/json') && `content-type ${answer.headers['content-type']}`,
          error?.extensions?.code !== c.code && `code ${error?.extensions?.code} (expected ${c.code})`,
          !c.message.test(error?.message ?? '') && `message '${String(error?.message ?? answer.text).slice(0, 200)}'`,
          (error?.message?.length ?? 0) > 400 && `message of ${error.message.length} characters`,
          error?.extensions?.stacktrace !== undefined && 'a stack trace in the answer',
          lines.length !== 1 && `${lines.length} log lines`,
          lines.some((line) => /\n|\bat .*:\d+:\d+/.test(line)) && `a stack in the log: ${lines.join(' | ').slice(0, 200)}`,
          lines.some((line) => line.length > 600) && 'a log line over 600 characters',
        ].filter(Boolean);
        if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')}`);
      }
      assert.deepEqual(failures, []);
      assert.equal((await request(server.url, '/healthz')).status, 200);
    });

    test('allowed-but-large requests are answered: a query at the cap, deep and wide variables, distinct persisted queries', async () => {
      const atCap = paddedQuery(7, REQUEST_LIMITS.maxQueryLength);
      assert.equal(atCap.length, REQUEST_LIMITS.maxQueryLength);
      const answers = await Promise.all([
        postGraphQL(server.url, json({ query: atCap })),
        postGraphQL(server.url, `{"query":"{ __typename }","variables":{"x":${nestedArrays(REQUEST_LIMITS.maxJsonDepth - 3)}}}`),
        postGraphQL(server.url, json({ query: '{ __typename }', variables: { x: Array(9_000).fill('a') } })),
        postGraphQL(server.url, gzipSync(json({ query: '{ __typename }' })), { 'content-encoding': 'gzip' }),
        postGraphQL(server.url, brotliCompressSync(json({ query: '{ __typename }' })), { 'content-encoding': 'br' }),
        postGraphQL(server.url, deflateSync(json({ query: '{ __typename }' })), { 'content-encoding': 'deflate' }),
      ]);
      for (const answer of answers) assert.deepEqual([answer.status, answer.body?.data], [200, { __typename: 'Query' }], answer.text.slice(0, 300));
      // Persisted queries: registered with their hash, then asked for by the hash alone.
      for (let k = 0; k < 50; k++) {
        const query = paddedQuery(k, 2000);
        const persistedQuery = { version: 1, sha256Hash: sha256(query) };
        const registered = await postGraphQL(server.url, json({ query, extensions: { persistedQuery } }));
        assert.equal(registered.status, 200, registered.text.slice(0, 200));
        const byHash = await postGraphQL(server.url, json({ extensions: { persistedQuery } }));
        assert.deepEqual(byHash.body?.data, { __typename: 'Query' });
      }
    });

    test('300 distinct padded queries at the cap are all answered, and the server stays up', async () => {
      for (let batch = 0; batch < 30; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) => postGraphQL(server.url, json({ query: paddedQuery(1000 + batch * 10 + i, REQUEST_LIMITS.maxQueryLength) }))),
        );
        for (const answer of answers) assert.equal(answer.status, 200);
      }
      assert.equal((await request(server.url, '/healthz')).status, 200);
    });

    test('Expect: 100-continue with a body over the limit: 413 at once, no 100 Continue', async () => {
      let continued = false;
      const answer = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(60 * MiB), expect: '100-continue' },
        });
        req.on('continue', () => (continued = true));
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      assert.equal(answer, 413);
      assert.equal(continued, false);
    });

    test('a body that trickles in gets a coded 408 in its time, and the connection is closed', async () => {
      const started = performance.now();
      const answer = await answerBeforeBody(server.url, 1000, {}, 10_000);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(answer?.status, 408);
      assert.equal(answer?.body?.errors?.[0]?.extensions?.code, 'REQUEST_TIMEOUT');
      assert.ok(seconds >= TEST_TIMEOUTS.bodySeconds * 0.9 && seconds < TEST_TIMEOUTS.bodySeconds + 3, `${seconds} s`);
    });

    test('an upload flood: OVERLOADED with 503 and Retry-After, large bodies refused before they are read, the import retries and gets in', async () => {
      const small = await Promise.all(Array.from({ length: 40 }, (_, k) => noiseImage({ seed: k })));
      const query = 'query ($b: String!) { similarImages(image: { base64: $b }) { distance } }';
      let stop = false;
      const statuses = new Map<number, number>();
      const overloaded: Answer[] = [];
      let sent = 0;
      // 40 clients, each sending a new photo again at once whatever the answer.
      const flood = Promise.all(
        small.map(async (_, client) => {
          for (let round = 0; !stop && round < 400; round++) {
            const bytes = round === 0 ? small[client]! : await noiseImage({ seed: client * 1000 + round });
            const answer = await postGraphQL(server.url, json({ query, variables: { b: bytes.toString('base64') } }));
            sent++;
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (answer.status === 503 && overloaded.length < 5) overloaded.push(answer);
          }
        }),
      );
      try {
        // While it runs: a declared 300 KB upload is answered 503 before its body is sent.
        let early: Answer | undefined;
        let continueRefused: Answer | undefined;
        for (let attempt = 0; attempt < 40 && !(early && continueRefused); attempt++) {
          const answer = await answerBeforeBody(server.url, 300 * 1024, {}, 1_000);
          if (answer?.status === 503) early ??= answer;
          const withExpect = await answerBeforeBody(server.url, 300 * 1024, { expect: '100-continue' }, 1_000);
          if (withExpect?.status === 503) continueRefused ??= withExpect;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // And `npm run import -- --url` gets its photos in, waiting as Retry-After says.
        const files = listPascalImages(realAssetsDir()).slice(0, 2).map((image) => image.file);
        const importing = runImport(files, apiSink({ url: server.url, concurrency: 2 }), { progressOut: null });
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        stop = true;
        await flood;
        const report = await importing;

        assert.ok((statuses.get(503) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, `answers by status: ${JSON.stringify([...statuses])} of ${sent}`);
        assert.deepEqual([...statuses.keys()].sort(), [200, 503]);
        for (const answer of overloaded) {
          const error = answer.body.errors[0];
          assert.equal(error.extensions.code, 'OVERLOADED');
          assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/);
          assert.equal(error.extensions.retryAfterSeconds, Number(answer.headers['retry-after']));
          assert.match(error.message, /retry in \d+ s/);
        }
        assert.equal(early?.body?.errors?.[0]?.extensions?.code, 'OVERLOADED', 'no large upload was refused before its body');
        assert.match(String(early!.headers['retry-after']), /^[1-9]\d*$/);
        assert.equal(continueRefused?.body?.errors?.[0]?.extensions?.code, 'OVERLOADED', 'no Expect: 100-continue upload was refused at once');
        assert.deepEqual([report.added, report.refused.length], [2, 0]);
      } finally {
        stop = true;
        await flood;
      }
      assert.equal((await request(server.url, '/healthz')).status, 200);
    });
  });
}

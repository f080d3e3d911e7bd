// Request logs, /metrics and CORS, over HTTP on both stores: a log line's
// fields (and what it must never hold), the metrics parsed as Prometheus
// parses them with counters moving after queries, and browser pages on other
// origins calling /graphql in a real Chromium.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { loadConfig } from '../src/config.js';
import { ImageQueueFullError } from '../src/embedding/index.js';
import { writePolicy } from '../src/graphql/writeProtection.js';
import { startHttpServer, type HttpOptions, type RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { toClientError } from '../src/services/modelErrors.js';
import { seedWords } from '../seeds/words.js';
import { chromiumMissing, launchBrowser, type TestBrowser } from './helpers/browser.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { postGraphQL } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import { unlessMissing } from './helpers/suites.js';

const SIMILAR = 'query Related($word: String!) { similarWords(word: $word, first: 3) { word { text } } }';
const SECRET_WORD = 'cat';
const TOKEN = 'tok-7f3a9c1e5b2d4a6f8e0c';
const IMAGE_BYTES = Buffer.from('not an image at all, only bytes that must stay out of the log').toString('base64');

/** Every JSON line a logger wrote into it. */
function captureJsonLog() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return {
    logger: createLogger('debug', 'json', stream),
    text: () => text,
    lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function serve(t: TestApp, options: Partial<HttpOptions> = {}): Promise<RunningServer> {
  return startHttpServer(t.app.services, {
    port: 0,
    host: '127.0.0.1',
    production: false,
    writes: writePolicy(t.app.config),
    logger: t.app.logger,
    corsOrigins: [],
    metrics: { enabled: true },
    ...options,
  });
}

interface ParsedMetric {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, ParsedMetric>> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = parsePrometheusTextFormat(text) as ParsedMetric[];
  // The parser merges a labelled histogram's series into one; without the
  // family's HELP and TYPE lines each `_count` series is read on its own.
  const histograms = families.filter((family) => family.type === 'HISTOGRAM').map((family) => family.name);
  const isHistogramHeader = (line: string) => histograms.some((name) => new RegExp(`^# (HELP|TYPE) ${name} `).test(line));
  const series = parsePrometheusTextFormat(text.split('\n').filter((line) => !isHistogramHeader(line)).join('\n')) as ParsedMetric[];
  const byName = new Map<string, ParsedMetric>();
  // Read so, one histogram's series come as several families of the same name.
  for (const metric of series) {
    const seen = byName.get(metric.name);
    if (seen) seen.metrics.push(...metric.metrics);
    else byName.set(metric.name, metric);
  }
  for (const family of families) if (family.type === 'HISTOGRAM') byName.set(family.name, family);
  return byName;
}

/** The value of the series of `name` whose labels include `labels`; 0 when there is none yet. */
function sample(metrics: Map<string, ParsedMetric>, name: string, labels: Record<string, string> = {}): number {
  const metric = metrics.get(name);
  assert.ok(metric, `no metric ${name}`);
  const found = metric.metrics.find((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value));
  return found ? Number(found.value) : 0;
}

describe('settings of logs, metrics and CORS, and settings that broke later (unit)', () => {
  test('defaults: JSON logs in production, readable otherwise; metrics on and open; same-origin only', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).logFormat, 'json');
    assert.equal(loadConfig({ NODE_ENV: 'development' }).logFormat, 'pretty');
    assert.equal(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.deepEqual(loadConfig({}).metrics, { enabled: true, token: undefined });
    assert.deepEqual(loadConfig({ METRICS: 'false', METRICS_TOKEN: ' s3cret ' }).metrics, { enabled: false, token: 's3cret' });
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.equal(loadConfig({ CORS_ORIGINS: ' * ' }).corsOrigins, '*');
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://127.0.0.1:4300/' }).corsOrigins, [
      'https://a.example.com',
      'http://127.0.0.1:4300',
    ]);
  });

  test('each refused with a message naming the setting', () => {
    const refused = (env: Record<string, string>, message: RegExp) => assert.throws(() => loadConfig(env), message);
    refused({ CORS_ORIGINS: 'https://a.example.com/app' }, /CORS_ORIGINS: 'https:\/\/a.example.com\/app' is not an origin/);
    refused({ CORS_ORIGINS: 'a.example.com' }, /CORS_ORIGINS: 'a.example.com' is not an origin/);
    refused({ METRICS_TOKEN: 'two words' }, /METRICS_TOKEN has a space/);
    refused({ WORD_EF_SEARCH: '2000' }, /WORD_EF_SEARCH: pgvector accepts 1 to 1000/);
    refused({ IMAGE_EF_SEARCH: '1001' }, /IMAGE_EF_SEARCH: pgvector accepts 1 to 1000/);
    refused({ GLOVE_FILE: 'no/such/glove.json' }, /GLOVE_FILE: no file at .*no\/such\/glove.json/);
    refused({ LOG_FORMAT: 'xml' }, /LOG_FORMAT/);
  });
});

for (const kind of storeKinds()) {
  describe(`request logs and metrics on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let protectedServer: RunningServer;
    let metricsOff: RunningServer;
    const log = captureJsonLog();

    before(async () => {
      t = await createTestApp(kind);
      const { words, seedState } = t.app.repositories;
      await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, createLogger('silent'));
      const writes = writePolicy({ env: 'test', writes: { tokens: [TOKEN], allowAnonymous: false } });
      server = await serve(t, { logger: log.logger, writes });
      protectedServer = await serve(t, { metrics: { enabled: true, token: TOKEN } });
      metricsOff = await serve(t, { metrics: { enabled: false } });
    });
    after(async () => {
      await server?.close();
      await protectedServer?.close();
      await metricsOff?.close();
      await t?.close();
    });

    test('one line per request: id (taken or made, and returned), operation, type, status, duration, error codes', async () => {
      const given = await postGraphQL(server.url, { query: SIMILAR, variables: { word: SECRET_WORD } }, { 'x-request-id': 'client-abc.123' });
      assert.equal(given.body.errors, undefined, JSON.stringify(given.body.errors));
      assert.equal(given.headers['x-request-id'], 'client-abc.123');
      const made = await postGraphQL(server.url, { query: '{ similarWords(word: "zzzznotaword") { distance } }' }, { 'x-request-id': `forged ${'x'.repeat(200)}` });
      const madeId = made.headers['x-request-id'];
      assert.match(String(madeId), /^[0-9a-f-]{36}$/, 'an unsafe id is replaced by a made one');

      const lines = log.lines().filter((line) => line.path === '/graphql');
      const first = lines.find((line) => line.requestId === 'client-abc.123');
      assert.ok(first, log.text());
      assert.equal(first.level, 'info');
      assert.equal(first.method, 'POST');
      assert.equal(first.status, 200);
      assert.equal(first.operationName, 'Related');
      assert.equal(first.operationType, 'query');
      assert.equal(first.operation, 'similarWords');
      assert.equal(typeof first.durationMs, 'number');
      assert.ok((first.durationMs as number) >= 0);
      assert.equal(first.errorCodes, undefined);
      const second = lines.find((line) => line.requestId === madeId);
      assert.ok(second, log.text());
      assert.equal(second.operationName, undefined, 'an anonymous operation has no name');
      assert.deepEqual(second.errorCodes, [made.body.errors![0]!.extensions!.code]);
    });

    test('no token, image bytes or variables appear in the log, also for a refused write and a bad document', async () => {
      const mutation = 'mutation Add($b: String!) { addImage(image: { base64: $b }, category: "dog") { id } }';
      const refused = await postGraphQL(server.url, { query: mutation, variables: { b: IMAGE_BYTES } }, { authorization: `Bearer ${TOKEN}x` });
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const bad = await postGraphQL(server.url, { query: mutation, variables: { b: IMAGE_BYTES } }, { authorization: `Bearer ${TOKEN}` });
      assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const unparsable = await postGraphQL(server.url, { query: `{ similarWords(word: "${SECRET_WORD}" ` });
      assert.equal(unparsable.status, 400);

      const lines = log.lines().filter((line) => line.path === '/graphql');
      const codes = lines.map((line) => line.errorCodes);
      for (const code of ['FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED']) {
        assert.ok(codes.some((list) => Array.isArray(list) && list.includes(code)), `${code} logged: ${JSON.stringify(codes)}`);
      }
      const mutationLine = lines.find((line) => line.operationType === 'mutation');
      assert.equal(mutationLine?.operation, 'addImage');
      const text = log.text();
      assert.ok(!text.includes(TOKEN), 'a token is in the log');
      assert.ok(!text.includes(IMAGE_BYTES.slice(0, 24)), 'image bytes are in the log');
      assert.ok(!text.includes(`"${SECRET_WORD}"`), 'a variable is in the log');
      assert.ok(!text.includes('similarWords(word'), 'a query document is in the log');
    });

    test('/healthz is logged at debug, not info', async () => {
      await fetch(`${server.url}/healthz`);
      const probe = log.lines().find((line) => line.path === '/healthz');
      assert.equal(probe?.level, 'debug');
    });

    test('/metrics parses as Prometheus text; request, error and default counters move after queries', async () => {
      const before = await scrape(server.url);
      const duration = 'semsearch_graphql_request_duration_seconds';
      const asked = { operation: 'similarWords', type: 'query' };
      const errors = 'semsearch_graphql_errors_total';
      for (let i = 0; i < 3; i++) await postGraphQL(server.url, { query: SIMILAR, variables: { word: 'dog' } });
      await postGraphQL(server.url, { query: '{ similarWords(word: "dog", first: 0) { distance } }' });
      const afterQueries = await scrape(server.url);
      const count = `${duration}_count`;
      assert.equal(sample(afterQueries, count, asked) - sample(before, count, asked), 4);
      assert.equal(sample(afterQueries, errors, { code: 'BAD_USER_INPUT' }) - sample(before, errors, { code: 'BAD_USER_INPUT' }), 1);
      assert.equal(afterQueries.get(duration)?.type, 'HISTOGRAM');

      assert.equal(sample(afterQueries, 'semsearch_image_embedding_queue_length'), 0);
      assert.equal(sample(afterQueries, 'semsearch_db_pool_max_connections', { pool: 'primary' }), kind === 'pglite' ? 1 : 10);
      assert.ok(sample(afterQueries, 'semsearch_db_pool_connections', { pool: 'primary' }) >= 1);
      // Not seeding in this process: every question answers, every phase is complete.
      assert.equal(sample(afterQueries, 'semsearch_capability_ready', { capability: 'similarWords' }), 1);
      assert.equal(sample(afterQueries, 'semsearch_seed_phase_complete', { phase: 'model' }), 1);
      assert.ok(sample(afterQueries, 'process_cpu_user_seconds_total') > 0);
      assert.ok(afterQueries.has('nodejs_eventloop_lag_seconds'));

      const overloaded = 'semsearch_uploads_overloaded_total';
      toClientError(new ImageQueueFullError(32, 2), undefined, t.app.services.metrics);
      assert.equal(sample(await scrape(server.url), overloaded) - sample(afterQueries, overloaded), 1);
    });

    test('METRICS_TOKEN protects /metrics; METRICS=false serves none', async () => {
      assert.equal((await fetch(`${protectedServer.url}/metrics`)).status, 401);
      const wrong = await fetch(`${protectedServer.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 403);
      const right = await scrape(protectedServer.url, { authorization: `Bearer ${TOKEN}` });
      assert.ok(right.has('semsearch_graphql_request_duration_seconds'));
      const off = await fetch(`${metricsOff.url}/metrics`);
      assert.equal(off.status, 404);
      assert.doesNotMatch(await off.text(), /semsearch_/);
    });
  });
}

/** A page on its own origin (127.0.0.1 and a port of its own) that browsers load before calling the API. */
async function servePage(): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/`, origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type BrowserCall = { ok: true; status: number; typename?: string; requestId: string | null } | { ok: false; error: string };

describe('CORS in Chromium', unlessMissing('CORS in Chromium', chromiumMissing()), () => {
  let t: TestApp;
  let browser: TestBrowser;
  let listed: Awaited<ReturnType<typeof servePage>>;
  let unlisted: Awaited<ReturnType<typeof servePage>>;
  const servers: RunningServer[] = [];

  before(async () => {
    [listed, unlisted] = await Promise.all([servePage(), servePage()]);
    t = await createTestApp('pglite', { CORS_ORIGINS: `${listed.origin}, https://app.example.com` });
    browser = await launchBrowser('cors');
  });
  after(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    await t?.close();
    await listed?.close();
    await unlisted?.close();
  });

  /** From a page at `page`, a POST to the API that needs a preflight (JSON, a bearer token, a request id). */
  async function callFrom(page: string, api: string): Promise<BrowserCall> {
    await browser.page.goto(page);
    return browser.page.evaluate(async (url) => {
      try {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer unused', 'x-request-id': 'from-the-page' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        const body = (await response.json()) as { data?: { __typename?: string } };
        return { ok: true, status: response.status, typename: body.data?.__typename, requestId: response.headers.get('x-request-id') };
      } catch (err) {
        return { ok: false, error: String(err) };
      }
    }, api);
  }

  test('a listed origin calls /graphql and reads the answer and its request id; an unlisted one is refused', async () => {
    const api = await serve(t, { corsOrigins: t.app.config.corsOrigins });
    servers.push(api);
    const allowed = await callFrom(listed.url, api.url);
    assert.deepEqual(allowed, { ok: true, status: 200, typename: 'Query', requestId: 'from-the-page' });
    const refused = await callFrom(unlisted.url, api.url);
    assert.equal(refused.ok, false, JSON.stringify(refused));
  });

  test("without CORS_ORIGINS every other origin is refused; with '*' any is allowed", async () => {
    const sameOriginOnly = await serve(t, { corsOrigins: [] });
    const anyOrigin = await serve(t, { corsOrigins: '*' });
    servers.push(sameOriginOnly, anyOrigin);
    assert.equal((await callFrom(listed.url, sameOriginOnly.url)).ok, false);
    const allowed = await callFrom(unlisted.url, anyOrigin.url);
    assert.equal(allowed.ok && allowed.typename, 'Query', JSON.stringify(allowed));
  });

  test("Apollo's CSRF prevention stays on: a simple cross-origin GET without a preflight is refused", async () => {
    const api = await serve(t, { corsOrigins: '*' });
    servers.push(api);
    const answer = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { origin: unlisted.origin },
    });
    assert.equal(answer.status, 400);
    assert.match(await answer.text(), /CSRF/);
  });
});

// The smaller hostile findings, on each store: only UTF-8 bodies are read;
// categories and captions refuse control and invisible formatting characters
// with BAD_USER_INPUT while letters of every script are stored; client
// strings reach the log cut short and with U+0085, U+2028 and U+2029 escaped;
// a query that exhausts validation's work is told which rule stopped it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { logText, oneLine } from '../src/http/logText.js';
import type { RunningServer } from '../src/http/server.js';
import type { LogFields, Logger } from '../src/logger.js';
import { createTestApp, OPEN_WRITES, startTestServer, type TestApp } from './helpers/app.js';
import { storeKinds } from './helpers/stores.js';

/** Collects what the server logs, message and fields as one JSON line each, as the JSON log format writes them. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string, fields?: LogFields) => void lines.push(JSON.stringify({ msg: message, ...fields }));
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

const LINE_ENDS = /[\n\r\u0085\u2028\u2029]/;

async function post(url: string, body: Buffer | string, contentType = 'application/json') {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: response.status, body: (await response.json()) as any };
}

/** A small photo, different for each k. */
async function photo(k: number): Promise<string> {
  const pixels = Buffer.alloc(40 * 40 * 3, k * 37);
  return (await sharp(pixels, { raw: { width: 40, height: 40, channels: 3 } }).jpeg().toBuffer()).toString('base64');
}

const ADD = 'mutation ($b: String!, $c: String, $cap: [String!]) { addImage(image: { base64: $b }, category: $c, captions: $cap) { id category captions } }';

for (const kind of storeKinds()) {
  describe(`input hygiene on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    const logger = capturingLogger();

    before(async () => {
      t = await createTestApp(kind, { NODE_ENV: 'production', EMBED_WORKERS: '1' });
      await t.app.loadModels();
      server = await startTestServer(t.app, { writes: OPEN_WRITES, logger });
    });
    after(async () => {
      await server?.close();
      await t?.close();
    });

    test('bodies in another charset than UTF-8 are refused with 415, as documented', async () => {
      const query = JSON.stringify({ query: '{ __typename }' });
      for (const [charset, bytes] of [
        ['utf-16le', Buffer.from(query, 'utf16le')],
        ['latin1', Buffer.from(query, 'latin1')],
        ['koi8-r', Buffer.from(query, 'latin1')],
        ['"iso-8859-1"', Buffer.from(query, 'latin1')],
      ] as const) {
        const answer = await post(server.url, bytes, `application/json; charset=${charset}`);
        assert.equal(answer.status, 415, charset);
        assert.equal(answer.body.errors[0].extensions.code, 'UNSUPPORTED_MEDIA_TYPE');
        assert.match(answer.body.errors[0].message, /send JSON in UTF-8/);
      }
      for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF8', 'application/json; charset="utf-8"']) {
        const answer = await post(server.url, query, type);
        assert.deepEqual([answer.status, answer.body.data], [200, { __typename: 'Query' }], type);
      }
    });

    test('categories and captions refuse control and invisible formatting characters; letters of every script are kept', async () => {
      const refused = [
        ['category', 'dog\u001b[31m'],
        ['category', 'cat\u202egod'],
        ['category', 'zero\u200bwidth'],
        ['category', 'line\u2028break'],
        ['captions', 'a dog\u0085a cat'],
        ['captions', 'tab\there'],
        ['captions', 'b\ufeffom'],
      ] as const;
      for (const [k, [field, text]] of refused.entries()) {
        const variables = { b: await photo(k), ...(field === 'category' ? { c: text } : { cap: ['fine', text] }) };
        const answer = await post(server.url, JSON.stringify({ query: ADD, variables }));
        const error = answer.body.errors?.[0];
        assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', `${JSON.stringify(text)}: ${JSON.stringify(answer.body).slice(0, 200)}`);
        assert.match(error.message, new RegExp(`'${field === 'category' ? 'category' : 'captions\\[1\\]'}' contains U\\+[0-9A-F]{4}`));
        assert.equal(answer.body.data, null);
      }
      const allowed = ['Кошка', '日本語の猫', 'هربة', 'می‌شود', 'कुत्ता', 'γάτα μου', 'ไทย', '👨‍👩‍👧 family', 'São Tomé'];
      for (const [k, category] of allowed.entries()) {
        const answer = await post(server.url, JSON.stringify({ query: ADD, variables: { b: await photo(100 + k), c: category, cap: [`${category} caption`] } }));
        assert.equal(answer.body.errors, undefined, `${category}: ${JSON.stringify(answer.body.errors)}`);
        assert.equal(answer.body.data.addImage.category, category);
      }
      const listed = (await post(server.url, JSON.stringify({ query: '{ categories }' }))).body.data.categories as string[];
      for (const category of allowed) assert.ok(listed.includes(category), category);
      assert.ok(!listed.some((category) => /[\u001b\u202e\u200b\u2028]/.test(category)), JSON.stringify(listed));
    });

    test('client strings reach the log cut short, on one line, with U+0085, U+2028 and U+2029 escaped', async () => {
      const from = logger.lines.length;
      const longName = `Q${'x'.repeat(16_000)}`;
      await post(server.url, JSON.stringify({ query: `query ${longName} { __typename }` }));
      await post(server.url, JSON.stringify({ query: '{ similarWords(word: "zzqx\u0085fake") { distance } }' }));
      await post(server.url, JSON.stringify({ query: '{ similarImages(id: "no\u2028such\u2029photo") { distance } }' }));
      // A raw byte 0x85 in the request line: Node reads it as U+0085.
      await new Promise<void>((resolve) => {
        const socket = net.connect(server.port, '127.0.0.1', () =>
          socket.write(Buffer.concat([Buffer.from('GET /nothing'), Buffer.from([0x85]), Buffer.from('here HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])),
        );
        socket.on('data', () => undefined);
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
      });
      await sleep(100);
      const lines = logger.lines.slice(from);
      assert.ok(lines.length >= 3, lines.join('\n'));
      for (const line of lines) {
        assert.ok(!LINE_ENDS.test(line), `a line breaker in ${line.slice(0, 300)}`);
        assert.ok(line.length < 1200, `a line of ${line.length} characters`);
      }
      const named = lines.map((line) => JSON.parse(line)).find((line) => typeof line.operationName === 'string');
      assert.ok(named, 'no line with the operation name');
      assert.ok(named.operationName.length <= 101 && named.operationName.startsWith('Qxxx'), named.operationName);
      for (const code of ['0085', '2028', '2029']) assert.ok(lines.some((line) => line.includes(`\\\\u${code}`)), `U+${code} was not written escaped`);
    });

    test('a query that exhausts validation is told which rule stopped it', async () => {
      const answer = await post(server.url, JSON.stringify({ query: `{ ${'__typename '.repeat(900)}}` }));
      assert.equal(answer.status, 400);
      const messages = answer.body.errors.map((error: { message: string }) => error.message);
      assert.ok(!messages.includes('Validation aborted.'), JSON.stringify(messages));
      const error = answer.body.errors.find((e: { message: string }) => /OverlappingFieldsCanBeMerged/.test(e.message));
      assert.ok(error, JSON.stringify(messages));
      assert.equal(error.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.match(error.message, /distinct aliases/);
    });
  });
}

describe('log text', () => {
  test('escapes line breakers and bidirectional overrides, joins lines, cuts long text', () => {
    assert.equal(oneLine('a\u0085b\u2028c\u2029d'), 'a\\u0085b\\u2028c\\u2029d');
    assert.equal(oneLine('a\r\nb\u202ec'), 'a b\\u202ec');
    assert.equal(oneLine('Кошка 日本 tab\there'), 'Кошка 日本 tab\there');
    const long = logText('y'.repeat(16_000));
    assert.equal(long, `${'y'.repeat(100)}…`);
    assert.equal(logText('z'.repeat(500), 300).length, 301);
  });
});

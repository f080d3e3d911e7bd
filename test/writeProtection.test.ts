// Write protection over HTTP, each case on each store: tokens set (missing,
// malformed, wrong, right), production without tokens (refused, or allowed by
// ALLOW_ANONYMOUS_WRITES), and development (open, one warning). Reads stay open
// and a token never shows in an answer or a log line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { checkWrite, writePolicy } from '../src/graphql/writeProtection.js';
import type { RunningServer } from '../src/http/server.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { postGraphQL, type Answer } from './helpers/graphql.js';
import { otherPascalImage } from './helpers/images.js';
import { storeKinds, type StoreKind } from './helpers/stores.js';

const TOKENS = ['first-token-3f9a1c', 'second-token-77be02'];
const WRONG = 'wrong-token-000000';
const BAD_BYTES = Buffer.from('not an image').toString('base64');
const ADD = 'mutation ($b: String!) { addImage(image: { base64: $b }, category: "dog") { id category } }';
const READ = '{ categories images(first: 1) { totalCount } }';

const post = (url: string, query: string, variables: Record<string, unknown>, authorization?: string) =>
  postGraphQL(url, { query, variables }, authorization === undefined ? {} : { authorization });

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

/** Everything the process writes to stderr (the logger's stream) while the suite runs. */
function captureLog(): { lines: () => string[]; stop: () => void } {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return { lines: () => chunks.join('').split('\n').filter(Boolean), stop: () => (process.stderr.write = write) };
}

/** A served app with `env`, and the log lines written while it started and ran. */
function serve(kind: StoreKind, env: Record<string, string>) {
  const state = {} as { t: TestApp; server: RunningServer; log: ReturnType<typeof captureLog> };
  // Registered first, so the capture starts before the app is built and ends before it closes.
  before(() => {
    state.log = captureLog();
  });
  after(() => state.log?.stop());
  serveDuringSuite(
    kind,
    (t, server) => Object.assign(state, { t, server }),
    { env: { LOG_LEVEL: 'debug', ...env } },
  );
  return state;
}

async function storedCount(t: TestApp): Promise<number> {
  const result = await t.app.db.primary.query<{ n: number }>('SELECT count(*)::int AS n FROM images');
  return result.rows[0]!.n;
}

describe('write policy (unit)', () => {
  const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', ...env });

  test('tokens win over ALLOW_ANONYMOUS_WRITES; production without tokens refuses; development is open', () => {
    assert.equal(writePolicy(config({ WRITE_TOKENS: 'a1,b2', ALLOW_ANONYMOUS_WRITES: 'true' })).kind, 'tokens');
    assert.equal(writePolicy(config({})).kind, 'refused');
    assert.equal(writePolicy(config({ WRITE_TOKENS: '  ' })).kind, 'refused');
    assert.equal(writePolicy(config({ ALLOW_ANONYMOUS_WRITES: 'true' })).kind, 'open');
    assert.equal(writePolicy(config({ NODE_ENV: 'development' })).kind, 'open');
  });

  test('WRITE_TOKENS entries are trimmed; an empty or unsendable one is a configuration error that does not show it', () => {
    assert.deepEqual(config({ WRITE_TOKENS: ' a1 , b2 ' }).writes.tokens, ['a1', 'b2']);
    assert.throws(() => config({ WRITE_TOKENS: 'secret-one,,' }), (err: Error) => {
      assert.match(err.message, /WRITE_TOKENS: token 2 of 3 is empty/);
      assert.doesNotMatch(err.message, /secret-one/);
      return true;
    });
    assert.throws(() => config({ WRITE_TOKENS: 'has space' }), (err: Error) => {
      assert.match(err.message, /token 1 of 1 has a space/);
      assert.ok(!err.message.includes('has space'));
      return true;
    });
  });

  test('the scheme is case-insensitive; a token that only starts like a good one is wrong', () => {
    const policy = writePolicy(config({ WRITE_TOKENS: 'abc123' }));
    assert.doesNotThrow(() => checkWrite(policy, 'bearer abc123'));
    assert.throws(() => checkWrite(policy, 'Bearer abc1234'), /not accepted/);
    assert.throws(() => checkWrite(policy, 'Bearer abc12'), /not accepted/);
    assert.throws(() => checkWrite(policy, 'Basic abc123'), /need a write token/);
  });
});

for (const kind of storeKinds()) {
  describe(`writes with WRITE_TOKENS on ${kind}`, () => {
    const s = serve(kind, { WRITE_TOKENS: TOKENS.join(','), NODE_ENV: 'production' });

    test('reads need no token', async () => {
      const answer = await post(s.server.url, READ, {});
      assert.equal(answer.status, 200);
      assert.equal(answer.body.errors, undefined);
      assert.equal(answer.body.data.images.totalCount, 0);
    });

    test('a mutation without a token is UNAUTHENTICATED (401), before any resolver runs', async () => {
      for (const header of [undefined, '', 'Bearer', 'Bearer ', `Basic ${TOKENS[0]}`, TOKENS[0]!]) {
        const answer = await post(s.server.url, ADD, { b: BAD_BYTES }, header);
        assert.equal(answer.status, 401, `header ${JSON.stringify(header)}`);
        assert.equal(codeOf(answer), 'UNAUTHENTICATED');
        assert.match(answer.body.errors![0]!.message, /Authorization: Bearer <token>/);
        // Refused before addImage looked at the bytes: no BAD_USER_INPUT, no data.
        assert.equal(answer.body.data ?? null, null);
      }
    });

    test('a wrong token is FORBIDDEN (403) and the answer does not repeat it', async () => {
      for (const token of [WRONG, `${TOKENS[0]}x`, TOKENS[0]!.slice(0, -1), TOKENS.join(',')]) {
        const answer = await post(s.server.url, ADD, { b: BAD_BYTES }, `Bearer ${token}`);
        assert.equal(answer.status, 403);
        assert.equal(codeOf(answer), 'FORBIDDEN');
        assert.equal(answer.body.errors![0]!.extensions!.writesDisabled, undefined);
        assert.ok(!answer.text.includes(token), 'the answer names the token');
      }
      assert.equal(await storedCount(s.t), 0);
    });

    test('either configured token lets the mutation through, and it stores the photo', async () => {
      const bad = await post(s.server.url, ADD, { b: BAD_BYTES }, `Bearer ${TOKENS[0]}`);
      assert.equal(codeOf(bad), 'BAD_USER_INPUT', 'the resolver ran and judged the bytes');
      const photo = readFileSync(otherPascalImage('dog', []).file).toString('base64');
      const added = await post(s.server.url, ADD, { b: photo }, `Bearer ${TOKENS[1]}`);
      assert.equal(added.body.errors, undefined, added.text);
      assert.equal(added.body.data.addImage.category, 'dog');
      assert.equal(await storedCount(s.t), 1);
    });

    test('no token appears in any log line', () => {
      const lines = s.log.lines();
      assert.ok(lines.length > 0, 'the debug log said nothing at all');
      for (const token of [...TOKENS, WRONG]) assert.ok(!lines.some((line) => line.includes(token)), token);
      assert.ok(!lines.some((line) => /anyone who reaches|writes are refused/.test(line)), 'a warning despite tokens');
    });
  });

  describe(`production without WRITE_TOKENS on ${kind}`, () => {
    const s = serve(kind, { NODE_ENV: 'production' });

    test('mutations are refused with a message that names WRITE_TOKENS; a token does not help', async () => {
      for (const header of [undefined, `Bearer ${WRONG}`]) {
        const answer = await post(s.server.url, ADD, { b: BAD_BYTES }, header);
        assert.equal(answer.status, 403);
        assert.equal(codeOf(answer), 'FORBIDDEN');
        assert.equal(answer.body.errors![0]!.extensions!.writesDisabled, true);
        assert.match(answer.body.errors![0]!.message, /WRITE_TOKENS/);
        assert.match(answer.body.errors![0]!.message, /ALLOW_ANONYMOUS_WRITES=true/);
      }
    });

    test('reads stay open, and the start logged why writes are refused, once', async () => {
      assert.equal((await post(s.server.url, READ, {})).status, 200);
      assert.equal(s.log.lines().filter((line) => line.includes('writes are refused')).length, 1);
    });
  });

  describe(`production with ALLOW_ANONYMOUS_WRITES=true on ${kind}`, () => {
    const s = serve(kind, { NODE_ENV: 'production', ALLOW_ANONYMOUS_WRITES: 'true' });

    test('mutations run without a token, and the start warned once', async () => {
      const answer = await post(s.server.url, ADD, { b: BAD_BYTES });
      assert.equal(codeOf(answer), 'BAD_USER_INPUT');
      assert.equal(s.log.lines().filter((line) => line.includes('anyone who reaches this server')).length, 1);
    });
  });

  describe(`development without WRITE_TOKENS on ${kind}`, () => {
    const s = serve(kind, { NODE_ENV: 'development' });

    test('mutations run without a token (a stray token is ignored), and the start logged one warning', async () => {
      assert.equal(codeOf(await post(s.server.url, ADD, { b: BAD_BYTES })), 'BAD_USER_INPUT');
      assert.equal(codeOf(await post(s.server.url, ADD, { b: BAD_BYTES }, `Bearer ${WRONG}`)), 'BAD_USER_INPUT');
      const warnings = s.log.lines().filter((line) => line.includes('warn: anyone who reaches this server'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /set WRITE_TOKENS/);
    });
  });
}

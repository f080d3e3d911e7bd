import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMigrations, listMigrationFiles } from '../src/repositories/migrationRepository.js';
import { createLogger } from '../src/logger.js';
import { seedWords } from '../seeds/words.js';
import { STOP_WORDS } from '../src/embedding/index.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import type { RunningServer } from '../src/http/server.js';

const quiet = createLogger('silent');

for (const kind of storeKinds()) {
  describe(`words on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    test('migrations apply once', async () => {
      const again = await applyMigrations(t.app.db.primary, quiet);
      assert.deepEqual(again, []);
      const rows = await t.app.db.primary.query('SELECT name FROM schema_migrations');
      assert.equal(rows.rowCount, listMigrationFiles().length);
    });

    test('/readyz is not ready before seeding, ready after', async () => {
      const before = await fetch(`${server.url}/readyz`);
      assert.equal(before.status, 503);
      const body = (await before.json()) as { missingPhases: string[] };
      assert.ok(body.missingPhases.includes('words'));
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
    });

    test('seeding N words twice leaves N rows; a larger limit resumes', async () => {
      const { words, seedState } = t.app.repositories;
      const options = { limit: 100, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE };
      const first = await seedWords(words, seedState, options, quiet);
      assert.equal(first.words, 100);
      const second = await seedWords(words, seedState, options, quiet);
      assert.equal(second.skipped, true);
      assert.equal(await words.count(), 100);
      const larger = await seedWords(words, seedState, { ...options, limit: 150 }, quiet);
      assert.equal(larger.words, 150);
      const distinct = await t.app.db.primary.query('SELECT count(DISTINCT text)::int AS n FROM words');
      assert.equal(distinct.rows[0].n, 150);
    });

    test('full seed, then ready', async () => {
      await t.app.seed();
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
    });

    test('similarWords("dog") finds cat, dogs and puppy in the top 5', async () => {
      const res = await gql(server.url, '{ similarWords(word: "dog", first: 5) { word { text } distance } }');
      assert.equal(res.errors, undefined);
      const texts = res.data!.similarWords.map((m: { word: { text: string } }) => m.word.text);
      for (const expected of ['cat', 'dogs', 'puppy']) assert.ok(texts.includes(expected), `${expected} in ${texts}`);
      assert.ok(!texts.includes('dog'), 'the query word is excluded');
      const distances = res.data!.similarWords.map((m: { distance: number }) => m.distance);
      assert.deepEqual([...distances].sort((a, b) => a - b), distances, 'sorted by distance');
    });

    test('input is trimmed and lower-cased; several words use their mean', async () => {
      const res = await gql(server.url, '{ similarWords(word: "  Cat SOFA ", first: 10) { word { text } } }');
      assert.equal(res.errors, undefined);
      const texts = res.data!.similarWords.map((m: { word: { text: string } }) => m.word.text);
      assert.equal(texts.length, 10);
      assert.ok(!texts.includes('cat') && !texts.includes('sofa'));
      assert.ok(texts.includes('couch') || texts.includes('cats'), texts.join());
    });

    test('a phrase\'s related words drop its stop words and contain no stop word; a stop word alone still answers', async () => {
      const related = async (word: string) => {
        const res = await gql(server.url, `{ similarWords(word: ${JSON.stringify(word)}, first: 15) { word { text } } }`);
        assert.equal(res.errors, undefined);
        return res.data!.similarWords.map((m: { word: { text: string } }) => m.word.text) as string[];
      };
      const phrase = await related('dog on a beach');
      assert.equal(phrase.length, 15);
      assert.deepEqual(phrase.filter((word) => STOP_WORDS.has(word)), [], phrase.join());
      assert.ok(!phrase.includes('dog') && !phrase.includes('beach'), 'the query words are excluded');
      assert.deepEqual(phrase, await related('dog beach'), 'the same as the phrase without its stop words');
      const alone = await related('the');
      assert.equal(alone.length, 15);
      assert.deepEqual(alone.filter((word) => STOP_WORDS.has(word)), [], alone.join());
    });

    test('Word.similar nests', async () => {
      const res = await gql(server.url, '{ similarWords(word: "cat", first: 1) { word { text similar(first: 3) { word { text } } } } }');
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.similarWords[0].word.similar.length, 3);
    });

    const badInputs: [string, string, RegExp][] = [
      ['unknown word', '{ similarWords(word: "qwzx") { distance } }', /No known words in 'qwzx'/],
      ['empty word', '{ similarWords(word: "   ") { distance } }', /empty/],
      ['first = 0', '{ similarWords(word: "dog", first: 0) { distance } }', /between 1 and 100/],
      ['first = 101', '{ similarWords(word: "dog", first: 101) { distance } }', /between 1 and 100/],
      ['first < 0', '{ similarWords(word: "dog", first: -5) { distance } }', /between 1 and 100/],
    ];
    for (const [name, query, message] of badInputs) {
      test(`BAD_USER_INPUT: ${name}`, async () => {
        const res = await gql(server.url, query);
        assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.match(res.errors![0]!.message, message);
      });
    }
  });
}

// DATABASE_READ_URL against a real streaming replica: queries are answered by
// the replica, writes (seed, addImage) go to the primary and become visible
// through the replica.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { seedWords } from '../seeds/words.js';
import { createTestApp, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { noiseImage } from './helpers/images.js';
import { needsPrivatePostgres, PrivatePostgres } from './helpers/replica.js';

const quiet = createLogger('silent');

/** Polls until `check` holds; replication is asynchronous. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(value)})`);
    await sleep(100);
  }
}

describe('read replica (DATABASE_READ_URL)', needsPrivatePostgres('read replica (DATABASE_READ_URL)'), () => {
  let primary: PrivatePostgres;
  let replica: PrivatePostgres;
  let t: TestApp;
  let server: RunningServer;

  before(async () => {
    primary = await PrivatePostgres.create();
    const database = 'semsearch_replica';
    const primaryUrl = await primary.createDatabase(database);
    replica = await primary.startReplica();
    t = await createTestApp('pglite', { DATABASE_URL: primaryUrl, DATABASE_READ_URL: replica.url(database) });
    server = await startTestServer(t.app);
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  test('queries use the replica, writes the primary', async () => {
    const inRecovery = async (pool: typeof t.app.db.reader) =>
      (await pool.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r;
    assert.equal(await inRecovery(t.app.db.reader), true, 'reader is the standby');
    assert.equal(await inRecovery(t.app.db.primary), false, 'primary takes writes');
    await assert.rejects(t.app.db.reader.query('CREATE TABLE nope (x int)'), /read-only transaction/);
  });

  test('seeded words become visible through the replica and similarWords answers from it', async () => {
    const { words, seedState } = t.app.repositories;
    await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, quiet);
    const seeded = await words.count();
    await eventually(
      'words on the replica',
      async () => (await t.app.db.reader.query<{ n: number }>('SELECT count(*)::int AS n FROM words')).rows[0]!.n,
      (n) => n === seeded,
    );
    const res = await gql(server.url, '{ similarWords(word: "dog", first: 5) { word { text } } }');
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.ok(res.data!.similarWords.some((m: { word: { text: string } }) => m.word.text === 'cat'));
  });

  test('addImage writes to the primary and the image becomes visible through the replica', async () => {
    const side = 80;
    const jpeg = await noiseImage({ width: side });
    const added = await gql(server.url, 'mutation ($b: String!) { addImage(image: { base64: $b }) { id width } }', {
      b: jpeg.toString('base64'),
    });
    assert.equal(added.errors, undefined, JSON.stringify(added.errors));
    const id = added.data!.addImage.id as string;
    assert.equal(added.data!.addImage.width, side);

    const onReplica = await eventually(
      'the image through the replica',
      () => gql(server.url, 'query ($id: ID!) { image(id: $id) { id width } }', { id }),
      (res) => res.data?.image?.id === id,
    );
    assert.equal(onReplica.data!.image.width, side);
    const direct = await t.app.db.reader.query('SELECT 1 FROM images WHERE id = $1', [id]);
    assert.equal(direct.rowCount, 1);
  });
});

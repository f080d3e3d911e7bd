// Faults: the database restarted under load, a seed killed half-way, the
// same image uploaded concurrently.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { mobilenetDir, type EmbeddedImage } from '../src/embedding/imageModelSpec.js';
import { ImageEmbeddingPool, ImageQueueFullError } from '../src/embedding/workerPool.js';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../src/http/faults.js';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { READINESS_TIMEOUT_MS } from '../src/services/healthService.js';
import { seedWords } from '../seeds/words.js';
import { createTestApp, serveDuringSuite, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { buildTestGlove } from './helpers/glove.js';
import { noiseImage, realAssetsDir } from './helpers/images.js';
import { needsPrivatePostgres, PrivatePostgres } from './helpers/replica.js';
import { createTestStore, storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');

/** The real CLI's environment: images and training kept small, they are not under test here. */
function cliEnv(storeEnv: Record<string, string>, gloveFile: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...storeEnv,
    GLOVE_FILE: gloveFile,
    WORDS_LIMIT: '0',
    IMAGES_LIMIT: '20',
    TRAIN_EPOCHS: '1',
    REFERENCE_SET: 'none',
    LOG_LEVEL: 'info',
    NODE_ENV: 'development',
  };
}

const runCli = (name: 'seed' | 'start', env: Record<string, string | undefined>) =>
  spawn(process.execPath, ['--import', 'tsx', `src/cli/${name}.ts`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
const SIMILAR = '{ similarWords(word: "dog", first: 3) { word { text } } }';

interface Outcome {
  at: number;
  ok: boolean;
  code?: string;
  message?: string;
}

/** Clients querying in a loop until stopped; every answer is recorded. */
function startLoad(url: string, clients: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await gql(url, SIMILAR);
        const error = res.errors?.[0];
        outcomes.push({ at: Date.now(), ok: !error && res.data?.similarWords?.length === 3, code: error?.extensions?.code, message: error?.message });
      } catch (err) {
        outcomes.push({ at: Date.now(), ok: false, code: 'HTTP', message: (err as Error).message });
      }
      await sleep(20);
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('PostgreSQL restarted while a load runs', needsPrivatePostgres('PostgreSQL restarted while a load runs'), () => {
  let postgres: PrivatePostgres;
  let t: TestApp;
  let server: RunningServer;

  before(async () => {
    postgres = await PrivatePostgres.create();
    const url = await postgres.createDatabase('semsearch_faults');
    t = await createTestApp('pglite', { DATABASE_URL: url });
    const { words, seedState } = t.app.repositories;
    await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, quiet);
    server = await startTestServer(t.app);
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await postgres?.destroy();
  });

  test('clear errors during the outage, success afterwards without restarting semsearch; /readyz follows', async () => {
    const load = startLoad(server.url, 4);
    while (load.outcomes.length < 8) await sleep(50);
    const stoppedAt = Date.now();
    await postgres.stop();
    await sleep(800);
    const readyDuring = await fetch(`${server.url}/readyz`);
    const readinessDuring = (await readyDuring.json()) as { database: string };
    const during = await gql(server.url, SIMILAR);
    const restartedAt = Date.now();
    await postgres.start();
    await sleep(1500);
    await load.stop();
    const readyAfter = await fetch(`${server.url}/readyz`);
    const readinessAfter = (await readyAfter.json()) as { database: string };
    const afterwards = await gql(server.url, SIMILAR);

    assert.equal(readyDuring.status, 503);
    assert.equal(readinessDuring.database, 'unreachable');
    assert.equal(during.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
    assert.equal(during.errors?.[0]?.message, DATABASE_UNAVAILABLE_MESSAGE);
    assert.equal(readinessAfter.database, 'ok');
    assert.equal(afterwards.errors, undefined);
    assert.equal(afterwards.data!.similarWords.length, 3);

    const before = load.outcomes.filter((o) => o.at < stoppedAt);
    const outage = load.outcomes.filter((o) => o.at > stoppedAt + 200 && o.at < restartedAt);
    const lastSecond = load.outcomes.filter((o) => o.at > Date.now() - 1000);
    assert.ok(before.length > 0 && before.every((o) => o.ok), 'all answers before the outage succeed');
    assert.ok(outage.length > 0, 'requests were answered during the outage');
    const unclear = outage.filter((o) => !o.ok && o.code !== 'SERVICE_UNAVAILABLE');
    assert.deepEqual(unclear, [], 'every failure during the outage is SERVICE_UNAVAILABLE');
    assert.ok(lastSecond.length > 0 && lastSecond.every((o) => o.ok), 'all answers succeed again after the restart');
  });
});

describe('the embedded store runs on its own thread', () => {
  let t: TestApp;
  let server: RunningServer;
  serveDuringSuite('pglite', (app, running) => {
    t = app;
    server = running;
  });

  test('a long statement does not stop the server: /healthz answers at once, /readyz says busy', async () => {
    const long = t.app.db.primary.query('SELECT pg_sleep(6)');
    try {
      await sleep(200);
      let started = Date.now();
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.ok(Date.now() - started < 1_000, `/healthz took ${Date.now() - started} ms`);
      started = Date.now();
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { database: string }).database, 'busy');
      assert.ok(Date.now() - started < READINESS_TIMEOUT_MS + 1_000, `/readyz took ${Date.now() - started} ms`);
    } finally {
      await long;
    }
  });
});

for (const kind of storeKinds()) {
  describe(`seed killed half-way on ${kind}`, () => {
    test('a re-run finishes with every word exactly once', async () => {
      const store = await createTestStore(kind);
      const gloveFile = await buildTestGlove(12_000);
      const env = cliEnv(store.env, gloveFile);
      const runSeed = () => runCli('seed', env);
      try {
        // Kill it once the first batch (5,000 words) is committed and before the load ends.
        const first = runSeed();
        let stderr = '';
        first.stderr.on('data', (chunk) => {
          stderr += chunk;
          if (/words \[.*\] [5-9]\d{3}\//.test(stderr)) first.kill('SIGKILL');
        });
        const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => first.on('exit', (code, signal) => resolve(signal ?? code)));
        assert.equal(exit, 'SIGKILL', `the seed was killed half-way (stderr: ${stderr.slice(-300)})`);

        const second = runSeed();
        let secondErr = '';
        second.stderr.on('data', (chunk) => (secondErr += chunk));
        const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
        assert.equal(code, 0, secondErr.slice(-500));
        assert.match(secondErr, /seeding words (5000|10000)\.\./, 'the re-run resumed after the committed batches');

        const app = await createApp(loadConfig(env), quiet);
        try {
          const rows = await app.db.primary.query<{ n: number; distinct_words: number; max_rank: number }>(
            'SELECT count(*)::int AS n, count(DISTINCT text)::int AS distinct_words, max(rank) AS max_rank FROM words',
          );
          const { n, distinct_words, max_rank } = rows.rows[0]!;
          assert.ok(n > 10_000, `${n} words`);
          assert.equal(distinct_words, n);
          assert.equal(max_rank, n - 1, 'ranks are contiguous');
          assert.ok((await app.repositories.seedState.completed()).has('words'));
          assert.equal(await app.repositories.words.hasIndex(), true);
        } finally {
          await app.close();
        }
      } finally {
        await store.drop();
      }
    });
  });

  describe(`npm start on ${kind}`, () => {
    test('SIGINT stops it cleanly within seconds, mid-seed or serving; the next start resumes', async () => {
      const store = await createTestStore(kind);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const env = { ...cliEnv(store.env, await buildTestGlove()), PORT: String(port), HOST: '127.0.0.1' };
      const startUntil = async (line: RegExp) => {
        const server = runCli('start', env);
        let stderr = '';
        await new Promise<void>((resolve, reject) => {
          server.stderr.on('data', (chunk) => {
            stderr += chunk;
            if (line.test(stderr)) resolve();
          });
          server.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr.slice(-500)}`)));
        });
        return {
          server,
          async interrupt() {
            const stoppedAt = Date.now();
            server.kill('SIGINT');
            const code = await Promise.race([
              new Promise<number | null>((resolve) => server.once('exit', resolve)),
              sleep(10_000).then(() => 'still running 10 s after SIGINT'),
            ]);
            assert.equal(code, 0, `${code}: ${stderr.slice(-500)}`);
            assert.ok(Date.now() - stoppedAt < 10_000, `stopped in ${Date.now() - stoppedAt} ms`);
            assert.doesNotMatch(stderr, /error:/);
          },
        };
      };
      const running: ChildProcess[] = [];
      try {
        const seeding = await startUntil(/embedding \d+ Pascal Sentences images/);
        running.push(seeding.server);
        await seeding.interrupt();
        const serving = await startUntil(/info: ready: /);
        running.push(serving.server);
        const answer = await gql(`http://127.0.0.1:${port}`, SIMILAR);
        assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
        await serving.interrupt();
      } finally {
        for (const server of running) server.kill('SIGKILL');
        await store.drop();
      }
    });
  });

  describe(`concurrent addImage of the same bytes on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    serveDuringSuite(kind, (app, running) => {
      t = app;
      server = running;
    });

    test('creates one image, and every upload answers it', async () => {
      const jpeg = await noiseImage({ width: 96 });
      const mutation = 'mutation ($b: String!) { addImage(image: { base64: $b }) { id } }';
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => gql(server.url, mutation, { b: jpeg.toString('base64') })),
      );
      for (const answer of answers) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      const ids = new Set(answers.map((answer) => answer.data!.addImage.id));
      assert.equal(ids.size, 1);
      const rows = await t.app.db.primary.query<{ images: number; files: number }>(
        'SELECT (SELECT count(*) FROM images)::int AS images, (SELECT count(*) FROM image_files)::int AS files',
      );
      assert.deepEqual(rows.rows[0], { images: 1, files: 1 });
    });
  });
}

describe('image embedding worker pool', () => {
  test('a burst beyond the bounded queue is refused at once (ImageQueueFullError: OVERLOADED to a client); the rest are embedded', async () => {
    const pool = new ImageEmbeddingPool({ size: 1, modelDir: mobilenetDir(realAssetsDir()), maxQueue: 3, maxBatch: 2 });
    try {
      await pool.start();
      const images = await Promise.all(Array.from({ length: 10 }, (_, k) => noiseImage({ seed: k, width: 64, format: 'png' })));
      const outcomes = await Promise.allSettled(images.map((bytes) => pool.embed(bytes)));
      const embedded = outcomes.filter((o) => o.status === 'fulfilled') as PromiseFulfilledResult<EmbeddedImage>[];
      const refused = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
      assert.ok(refused.length > 0 && embedded.length > 0, `${embedded.length} embedded, ${refused.length} refused`);
      for (const r of refused) assert.ok(r.reason instanceof ImageQueueFullError, String(r.reason));
      for (const e of embedded) assert.equal(e.value.features.length, 768);
      assert.equal(pool.queued, 0);
    } finally {
      await pool.close();
    }
  });
});

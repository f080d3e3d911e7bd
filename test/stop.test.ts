// Stopping `npm start` the way a supervisor does: one signal to the process it
// started (npm), nothing to the rest of the group. On both stores: a request
// in flight is answered, no new connection is taken, the server exits within
// 10 s, every process it started is gone, its port is free, and the store
// opens cleanly afterwards (seeded, its lock released). A first start is
// stopped with SIGTERM, a restart of the seeded store with SIGINT. And the
// store's lock that an unclean stop in a container leaves behind.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { lockFile, lockStore, StoreInUseError } from '../src/db/storeLock.js';
import { createLogger } from '../src/logger.js';
import { buildTestGlove } from './helpers/glove.js';
import { descendants, portIsFree, stillRunning } from './helpers/processes.js';
import { createTestStore, storeKinds, type TestStore } from './helpers/stores.js';

const IMAGES = 12;
const STOP_LIMIT_MS = 10_000;
const QUERY = JSON.stringify({ query: '{ similarWords(word: "dog", first: 3) { word { text } } }' });

interface Started {
  npm: ChildProcess;
  url: string;
  port: number;
  log: () => string;
}

/** `npm start` on `env` (PORT=0: the port it took is read from its log), once /readyz says 200. */
async function npmStart(env: Record<string, string>): Promise<Started> {
  // Its own process group only so that a failed test can clean up; the test signals npm alone.
  // Only what npm needs from this environment: a DATABASE_URL set here must not change the store.
  const fullEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const npm = spawn('npm', ['start'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 240_000;
  let url: string | undefined;
  while (Date.now() < deadline && npm.exitCode === null) {
    url ??= /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(output)?.[1];
    if (url && (await fetch(`${url}/readyz`).then((res) => res.status, () => 0)) === 200) {
      return { npm, url, port: Number(new URL(url).port), log: () => output };
    }
    await sleep(250);
  }
  killGroup(npm);
  throw new Error(`npm start was not ready within 240 s:\n${output}`);
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * A GraphQL request the server has begun to handle (it answered the
 * `Expect: 100-continue`) but whose body is not sent yet: in flight until `finish()`.
 */
async function requestInFlight(url: string): Promise<{ finish(): Promise<{ status: number; body: string }> }> {
  const request = http.request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(QUERY), expect: '100-continue' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    request.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    request.once('continue', resolve);
    request.once('error', reject);
    request.flushHeaders();
  });
  return {
    finish() {
      request.end(QUERY);
      return answer;
    },
  };
}

/** Whether a new connection to `port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
      res.resume();
      resolve(false);
    });
    request.on('error', () => resolve(true));
  });
}

/** Signals npm alone, as a supervisor would; checks the whole stop. */
async function stopAndCheck(started: Started, signal: NodeJS.Signals, env: Record<string, string>): Promise<void> {
  const { npm, url, port } = started;
  const tree = descendants(npm.pid!);
  assert.ok(tree.length > 0, 'npm start runs the server as a child of npm');
  const inFlight = await requestInFlight(url);
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const signalledAt = Date.now();
  process.kill(npm.pid!, signal);

  // New connections are refused while the request in flight is still open.
  let refusedNew = false;
  while (!refusedNew && Date.now() - signalledAt < 3_000) {
    refusedNew = await refused(port);
    if (!refusedNew) await sleep(50);
  }
  const answer = await inFlight.finish();
  const exitCode = await Promise.race([exited, sleep(STOP_LIMIT_MS + 5_000).then(() => 'timeout' as const)]);
  const stoppedMs = Date.now() - signalledAt;
  if (exitCode === 'timeout') killGroup(npm);

  assert.ok(refusedNew, 'a new connection is refused once the stop has begun');
  assert.equal(answer.status, 200, `the request in flight is answered: ${answer.body}`);
  assert.equal((JSON.parse(answer.body) as { data: { similarWords: unknown[] } }).data.similarWords.length, 3);
  assert.notEqual(exitCode, 'timeout', `npm start still ran ${STOP_LIMIT_MS + 5_000} ms after ${signal}:\n${started.log()}`);
  assert.ok(stoppedMs < STOP_LIMIT_MS, `stopped in ${stoppedMs} ms`);
  assert.equal(exitCode, 0, `a clean stop exits with 0:\n${started.log()}`);
  assert.deepEqual(await stillRunning(tree), [], 'no process npm start started is left');
  assert.ok(await portIsFree(port), `port ${port} is free`);
  const { database } = loadConfig(env);
  if (database.kind === 'pglite') {
    assert.ok(!existsSync(lockFile(database.dataDir)), 'the embedded store was closed (its lock released)');
  }
}

/** The store opens in this process (its lock free), seeded, and answers. */
async function assertStoreOpensCleanly(env: Record<string, string>): Promise<void> {
  const config = loadConfig(env);
  const app = await createApp(config, createLogger('silent'));
  try {
    const readiness = await app.services.health.readiness();
    assert.deepEqual(readiness.missingPhases, [], 'every seed phase is recorded as done');
    assert.equal(await app.repositories.images.count(), IMAGES);
  } finally {
    await app.close();
  }
}

for (const kind of storeKinds()) {
  describe(`stopping npm start by signalling npm (${kind})`, () => {
    let store: TestStore;
    let env: Record<string, string>;
    let running: Started | undefined;

    before(async () => {
      store = await createTestStore(kind);
      env = {
        ...store.env,
        GLOVE_FILE: await buildTestGlove(),
        WORDS_LIMIT: '0',
        IMAGES_LIMIT: String(IMAGES),
        TRAIN_EPOCHS: '1',
        REFERENCE_SET: 'none',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        NODE_ENV: 'development',
      };
    });
    after(async () => {
      if (running) killGroup(running.npm);
      await store?.drop();
    });

    test('SIGTERM after a first start: in-flight request answered, stopped within 10 s, nothing left', async () => {
      running = await npmStart(env);
      await stopAndCheck(running, 'SIGTERM', env);
      running = undefined;
      await assertStoreOpensCleanly(env);
    });

    test('SIGINT after a restart of the seeded store: the same', async () => {
      running = await npmStart(env);
      await stopAndCheck(running, 'SIGINT', env);
      running = undefined;
      await assertStoreOpensCleanly(env);
    });
  });
}

describe("the embedded store's lock after an unclean stop", () => {
  test('a lock naming a pid that runs again but started at another time (a restarted container) is taken over; a second open is refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-lock-'));
    try {
      const store = path.join(dir, 'pglite');
      // This process's pid, as a killed container's server leaves it for the next start's server.
      writeFileSync(lockFile(store), `${process.pid} 1\n`);
      const lock = lockStore(store);
      assert.throws(() => lockStore(store), StoreInUseError);
      lock.release();
      assert.ok(!existsSync(lockFile(store)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a lock naming a killed process that its parent has not reaped yet (a zombie) is taken over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-lock-'));
    // The shell starts a child, prints its pid and becomes `sleep`, which never reaps it: the child stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      const stat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
      while (stat().slice(stat().lastIndexOf(')') + 2)[0] !== 'Z') await sleep(20);
      const started = stat().slice(stat().lastIndexOf(')') + 2).split(' ')[19];
      const store = path.join(dir, 'pglite');
      writeFileSync(lockFile(store), `${pid} ${started}\n`);
      const lock = lockStore(store);
      lock.release();
    } finally {
      parent.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

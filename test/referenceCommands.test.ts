// The reference set through the real commands, each a child process, on each
// store and a tiny set the test builds (REFERENCE_PHOTOS captioned photos in
// the reference set's format): `npm start` killed with SIGKILL in the middle
// of the reference phase, then `npm run seed` finishes it with every photo
// stored once, the image → word model trained again on every captioned photo,
// and a third run adds nothing; and `npm run reference` loads the set, `npm
// run reference -- --remove` deletes every reference photo and what it taught
// (the owner's photos' transfers refreshed, the model trained, without them).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { captionLines } from '../src/dataset/captionFiles.js';
import { listPascalImages, pascalDir } from '../src/dataset/pascal.js';
import { referenceDir, referenceImagePath } from '../src/dataset/referenceSet.js';
import { mobilenetDir } from '../src/embedding/imageModelSpec.js';
import { readWordModelMetadata } from '../src/embedding/index.js';
import { createLogger } from '../src/logger.js';
import { interleaveByCategory } from '../seeds/images.js';
import { REFERENCE_PHASE } from '../seeds/reference.js';
import { REFERENCE_MODEL_RECORD } from '../seeds/referenceModel.js';
import { buildTestGlove } from './helpers/glove.js';
import { descendants } from './helpers/processes.js';
import { realAssetsDir } from './helpers/images.js';
import { createTestStore, storeKinds, type TestStore } from './helpers/stores.js';

/** Six of the seed's batches of 8: a kill lands between the first stored batch and the last. */
const REFERENCE_PHOTOS = 48;
/** The owner's photos: the first 12 of Pascal, one of each of 12 categories (a dog among them). */
const OWNED = 12;
/** Said by every reference caption and by none of the owner's photos' captions: what the set teaches. */
const TAUGHT = 'snow';
const CHILD_TIMEOUT_MS = 300_000;

/** Pascal's photos and the image model (linked from the real assets), and a flickr8k-reference of dogs and horses in the snow. */
function buildAssets(): { dir: string; ids: string[] } {
  const source = realAssetsDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-reference-commands-'));
  symlinkSync(pascalDir(source), pascalDir(dir), 'dir');
  mkdirSync(path.dirname(mobilenetDir(dir)), { recursive: true });
  symlinkSync(mobilenetDir(source), mobilenetDir(dir), 'dir');
  const pascal = listPascalImages(source);
  // Not the first dog: that one is the owner's (IMAGES_LIMIT takes the first of each category).
  const photos = [...pascal.filter((p) => p.category === 'dog').slice(1, 25), ...pascal.filter((p) => p.category === 'horse').slice(1, 25)];
  const root = referenceDir(dir);
  const captions = new Map<string, string[]>();
  for (const photo of photos) {
    const file = `ref_${photo.id}.jpg`;
    mkdirSync(path.dirname(referenceImagePath(root, file)), { recursive: true });
    copyFileSync(photo.file, referenceImagePath(root, file));
    captions.set(file, [`A ${photo.category} stands in the ${TAUGHT}.`, `A ${photo.category} outside in deep ${TAUGHT}.`]);
  }
  writeFileSync(path.join(root, 'captions.jsonl'), captionLines(captions, 'test'));
  return { dir, ids: [...captions.keys()].map((file) => file.replace(/\.jpg$/, '')) };
}

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm <args>` on `env` alone (a DATABASE_URL of this process must not change the store), in its own process group. */
function npm(args: string[], env: Record<string, string>): Child {
  const child = spawn('npm', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Gone already.
  }
}

/** Runs `npm <args>` to its end; returns its output, having checked it exited with 0. */
async function npmRun(args: string[], env: Record<string, string>): Promise<string> {
  const child = npm(args, env);
  const code = await Promise.race([child.exited, sleep(CHILD_TIMEOUT_MS, undefined, { ref: false }).then(() => 'timeout' as const)]);
  if (code === 'timeout') killGroup(child.process);
  assert.equal(code, 0, `npm ${args.join(' ')} exited with ${code}:\n${child.output()}`);
  return child.output();
}

interface ReferencePhase {
  state: string;
  done: number;
  total: number;
}

/** Gone, or killed and not yet reaped (a zombie). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return ['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2)[0]!);
  } catch {
    return true;
  }
}

/** `npm start`, killed with SIGKILL (the whole process group) once some but not all reference photos are stored. */
async function killDuringReferencePhase(env: Record<string, string>): Promise<ReferencePhase> {
  const child = npm(['start'], { ...env, PORT: '0', HOST: '127.0.0.1' });
  try {
    const deadline = Date.now() + CHILD_TIMEOUT_MS;
    let url: string | undefined;
    let last: ReferencePhase | undefined;
    while (Date.now() < deadline && child.process.exitCode === null) {
      url ??= /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(child.output())?.[1];
      if (url) {
        const body = (await fetch(`${url}/readyz`).then((res) => res.json(), () => undefined)) as { phases?: { reference?: ReferencePhase } } | undefined;
        last = body?.phases?.reference ?? last;
        if (last && last.state === 'running' && last.done > 0 && last.done < last.total) {
          const tree = [child.process.pid!, ...descendants(child.process.pid!)];
          killGroup(child.process);
          await child.exited;
          // As a supervisor restarts what it started once it has ended: every process of the tree killed (a zombie runs nothing).
          while (tree.some((pid) => !ended(pid))) await sleep(20);
          return last;
        }
        assert.ok(!last || last.done < REFERENCE_PHOTOS, `the phase ended before it was seen half done: ${JSON.stringify(last)}`);
      }
      await sleep(50);
    }
    throw new Error(`the reference phase was not seen running:\n${child.output()}`);
  } finally {
    killGroup(child.process);
  }
}

/** Opens the store in this process (the children are gone), runs `work`, closes it. */
async function withStore<T>(env: Record<string, string>, work: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(loadConfig(env), createLogger('silent'));
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

interface StoredReference {
  rows: number;
  ids: string[];
  distinctHashes: number;
  owned: number;
  stale: number;
  state: Record<string, unknown> | undefined;
  /** The served image → word model: the photos it was trained on, and whether that was recorded as with the reference set. */
  model: { trainImages: unknown; withReference: unknown };
}

async function storedReference(app: App): Promise<StoredReference> {
  const { rows } = await app.db.primary.query<{ id: string; content_hash: string }>(
    'SELECT id, content_hash FROM images WHERE reference ORDER BY id',
  );
  return {
    rows: rows.length,
    ids: rows.map((row) => row.id),
    distinctHashes: new Set(rows.map((row) => row.content_hash)).size,
    owned: await app.repositories.images.count(),
    stale: await app.repositories.transfers.countStale(),
    state: (await app.repositories.seedState.completed()).get(REFERENCE_PHASE),
    model: {
      trainImages: readWordModelMetadata(app.config.wordSpace.wordModelDir).trainImages,
      withReference: (await app.repositories.seedState.completed()).get(REFERENCE_MODEL_RECORD)?.trainImages,
    },
  };
}

/** The owner's photos whose stored transfer has a reference neighbour, and those whose transferred caption words say TAUGHT. */
async function taught(app: App): Promise<{ withReferenceNeighbour: number; sayingTaught: string[] }> {
  const { rows } = await app.db.primary.query<{ id: string; reference_neighbours: number; words: string[] | null }>(
    `SELECT g.id, (SELECT count(*) FROM unnest(g.transfer_neighbours) AS n(id) JOIN images r ON r.id = n.id AND r.reference)::int AS reference_neighbours,
            g.transfer_caption_words AS words
     FROM images g WHERE NOT g.reference ORDER BY g.id`,
  );
  return {
    withReferenceNeighbour: rows.filter((row) => row.reference_neighbours > 0).length,
    sayingTaught: rows.filter((row) => (row.words ?? []).includes(TAUGHT)).map((row) => row.id),
  };
}

for (const kind of storeKinds()) {
  describe(`the reference set through its commands, as child processes (${kind})`, () => {
    let assets: { dir: string; ids: string[] };
    let glove: string;
    const stores: TestStore[] = [];
    const envOf = async () => {
      const store = await createTestStore(kind);
      stores.push(store);
      return {
        ...store.env,
        ASSETS_DIR: assets.dir,
        ASSETS_DOWNLOAD: 'false',
        GLOVE_FILE: glove,
        WORDS_LIMIT: '0',
        IMAGES_LIMIT: String(OWNED),
        TRAIN_EPOCHS: '1',
        REFERENCE_SET: 'flickr8k',
        LOG_LEVEL: 'info',
        NODE_ENV: 'development',
      };
    };

    before(async () => {
      assets = buildAssets();
      glove = await buildTestGlove();
      const ownCaptions = interleaveByCategory(listPascalImages(assets.dir)).slice(0, OWNED).flatMap((photo) => photo.captions.join(' ').toLowerCase().split(/\W+/));
      assert.ok(!ownCaptions.includes(TAUGHT), `no owner's caption says "${TAUGHT}"`);
    });
    after(async () => {
      for (const store of stores) await store.drop();
      rmSync(assets.dir, { recursive: true, force: true });
    });

    test('killed (SIGKILL) in the middle of the reference phase, the next start stores the rest, each photo once; a third run adds nothing', async (t) => {
      const env = await envOf();
      const seen = await killDuringReferencePhase(env);
      const killed = await withStore(env, storedReference);
      t.diagnostic(`killed when /readyz said ${seen.done}/${seen.total} stored; ${killed.rows} stored`);
      assert.equal(killed.owned, OWNED);
      assert.ok(killed.rows >= seen.done && killed.rows < REFERENCE_PHOTOS, `stored when killed: ${killed.rows} (readyz said ${seen.done})`);
      assert.equal(killed.rows % 8, 0, 'whole batches of 8, none half written');
      assert.equal(killed.state, undefined, 'the phase is not recorded done');
      assert.deepEqual(killed.model, { trainImages: OWNED, withReference: undefined }, "the model a first start trains: Pascal's photos alone");

      const resumed = await npmRun(['run', 'seed'], env);
      assert.match(resumed, new RegExp(`embedding ${REFERENCE_PHOTOS - killed.rows} reference set \\(Flickr8k\\) images \\(${killed.rows} stored already\\)`));
      const done = await withStore(env, storedReference);
      assert.deepEqual(done.ids, [...assets.ids].sort(), 'every photo of the set, each once');
      assert.equal(done.distinctHashes, REFERENCE_PHOTOS, 'no photo stored twice under another id');
      assert.equal(done.owned, OWNED, 'none of them is the owner\'s');
      assert.equal(done.stale, 0, 'the transfers they change are refreshed');
      assert.ok(done.state, 'the phase is recorded done');
      const everyCaptioned = OWNED + REFERENCE_PHOTOS;
      assert.deepEqual(done.model, { trainImages: everyCaptioned, withReference: everyCaptioned }, 'the model trained again on every captioned photo');

      const third = await npmRun(['run', 'seed'], env);
      assert.doesNotMatch(third, /reference set \(Flickr8k\) images/, 'nothing embedded');
      assert.deepEqual(await withStore(env, storedReference), done, 'nothing added or changed');
    });

    test('npm run reference loads the set; -- --remove deletes every reference photo and what it taught; npm run reference loads it again', async () => {
      const env = await envOf();
      const loaded = await npmRun(['run', 'reference'], env);
      assert.match(loaded, new RegExp(`reference: ${REFERENCE_PHOTOS} reference photos stored`));
      const before = await withStore(env, async (app) => ({ stored: await storedReference(app), taught: await taught(app) }));
      assert.equal(before.stored.rows, REFERENCE_PHOTOS);
      assert.equal(before.stored.owned, OWNED);
      assert.equal(before.stored.stale, 0);
      assert.ok(before.stored.state && !before.stored.state.removed, `recorded loaded: ${JSON.stringify(before.stored.state)}`);
      assert.ok(before.taught.withReferenceNeighbour > 0, 'reference photos are neighbours of the owner\'s');
      assert.ok(before.taught.sayingTaught.length > 0, `their captions ("${TAUGHT}") reach the owner's photos' transfers`);
      assert.deepEqual(before.stored.model, { trainImages: OWNED + REFERENCE_PHOTOS, withReference: OWNED + REFERENCE_PHOTOS });

      const removed = await npmRun(['run', 'reference', '--', '--remove'], env);
      assert.match(removed, new RegExp(`reference: ${REFERENCE_PHOTOS} reference photos deleted`));
      const after = await withStore(env, async (app) => ({ stored: await storedReference(app), taught: await taught(app) }));
      assert.equal(after.stored.rows, 0, 'every reference photo deleted');
      assert.equal(after.stored.owned, OWNED, 'the owner\'s photos stay');
      assert.equal(after.stored.stale, 0, 'the transfers they taught are refreshed');
      assert.deepEqual(after.taught, { withReferenceNeighbour: 0, sayingTaught: [] }, 'nothing they taught is left');
      assert.equal(after.stored.state?.removed, true, 'recorded removed: later starts do not load the set');
      assert.equal(after.stored.state?.deleted, REFERENCE_PHOTOS);
      assert.deepEqual(after.stored.model, { trainImages: OWNED, withReference: undefined }, 'the model trained again without them');

      // A later start leaves it removed; `npm run reference` loads it again.
      const restart = await npmRun(['run', 'seed'], env);
      assert.doesNotMatch(restart, /reference set \(Flickr8k\) images/);
      assert.equal((await withStore(env, storedReference)).rows, 0);
      await npmRun(['run', 'reference'], env);
      const again = await withStore(env, async (app) => ({ stored: await storedReference(app), taught: await taught(app) }));
      assert.equal(again.stored.rows, REFERENCE_PHOTOS);
      assert.deepEqual(again.stored.model, before.stored.model);
      assert.deepEqual(again.taught.sayingTaught, before.taught.sayingTaught, 'it teaches the same photos again');
    });
  });
}

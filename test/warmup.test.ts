// A first start, phase by phase, on both stores: during each seed phase a
// question of each kind is answered or refused with SERVICE_UNAVAILABLE and a
// message saying what is being prepared; /readyz reports each capability;
// similarWords from the in-memory exact scan (before the word index exists)
// gives the same neighbours as the index afterwards; a restart seeds nothing.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import type { WarmupPhase } from '../src/services/seedPhases.js';
import { createTestApp, startTestServer, type TestApp } from './helpers/app.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { buildTestAssets, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const CATEGORIES = ['cat', 'dog', 'sofa'];
const PER_CATEGORY = 8;

const QUESTIONS = {
  similarWords: '{ similarWords(word: "dog", first: 10) { word { text } } }',
  similarImages: 'query($id: ID!) { similarImages(id: $id, first: 3) { image { id } } }',
  tagsForImage: 'query($id: ID!) { tagsForImage(id: $id, first: 3) { word { text } } }',
  imagesForText: '{ imagesForText(text: "a dog", first: 3) { image { id } } }',
} as const;
type Question = keyof typeof QUESTIONS;

interface Observation {
  answered: boolean;
  code?: string;
  message?: string;
  warming?: unknown;
  words?: string[];
}

interface PhaseView {
  questions: Record<Question, Observation>;
  readyz: { status: number; body: { ready: boolean; capabilities: Record<Question, string> } };
}

async function ask(url: string, question: Question, id: string): Promise<Observation> {
  const res: GraphQLResponse = await gql(url, QUESTIONS[question], question === 'similarWords' || question === 'imagesForText' ? {} : { id });
  const error = res.errors?.[0];
  if (error) return { answered: false, code: error.extensions?.code, message: error.message };
  const rows = res.data![question] as { word?: { text: string } }[];
  return {
    answered: true,
    warming: (res as { extensions?: { warming?: unknown } }).extensions?.warming,
    words: rows.map((row) => row.word?.text ?? ''),
  };
}

async function observe(url: string, id: string): Promise<PhaseView> {
  const questions = {} as Record<Question, Observation>;
  for (const question of Object.keys(QUESTIONS) as Question[]) questions[question] = await ask(url, question, id);
  const response = await fetch(`${url}/readyz`);
  return { questions, readyz: { status: response.status, body: (await response.json()) as PhaseView['readyz']['body'] } };
}

function assertUnavailable(observation: Observation, what: RegExp, context: string): void {
  assert.equal(observation.answered, false, `${context}: refused`);
  assert.equal(observation.code, 'SERVICE_UNAVAILABLE', `${context}: ${observation.message}`);
  assert.match(observation.message!, what, context);
  assert.match(observation.message!, /about \d+ s|s so far/, `${context}: says for about how long`);
}

for (const kind of storeKinds()) {
  describe(`first start, phase by phase, on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let assets: TestAssets;
    const views = new Map<WarmupPhase, PhaseView>();
    let imageId = '';
    let afterSeed: PhaseView;
    let closedForRestart = false;

    before(async () => {
      assets = buildTestAssets(CATEGORIES, PER_CATEGORY);
      imageId = assets.images[0]!.id;
      t = await createTestApp(kind, { ASSETS_DIR: assets.dir, ASSETS_DOWNLOAD: 'false', IMAGES_LIMIT: '0', TRAIN_EPOCHS: '5' });
      server = await startTestServer(t.app);
      await t.app.seed({ duringPhase: async (phase) => void views.set(phase, await observe(server.url, imageId)) });
      afterSeed = await observe(server.url, imageId);
    });
    after(async () => {
      if (closedForRestart) await t.store.drop();
      else {
        await server?.close();
        await t?.close();
      }
      if (assets) rmSync(assets.dir, { recursive: true, force: true });
    });

    test('every phase ran, and no question ever failed with anything but SERVICE_UNAVAILABLE', () => {
      assert.deepEqual([...views.keys()].sort(), ['images', 'model', 'projection', 'wordIndex', 'words']);
      for (const [phase, view] of views) {
        for (const [question, observation] of Object.entries(view.questions)) {
          if (!observation.answered) assert.equal(observation.code, 'SERVICE_UNAVAILABLE', `${phase} ${question}: ${observation.message}`);
        }
        assert.equal(view.readyz.status, 503, `${phase}: /readyz is 503 while seeding`);
      }
    });

    test('while the words load: nothing is answered yet, each refusal says what is being prepared', () => {
      const view = views.get('words')!;
      assertUnavailable(view.questions.similarWords, /Related words .* the words/, 'similarWords');
      for (const question of ['similarImages', 'tagsForImage', 'imagesForText'] as const) {
        assertUnavailable(view.questions[question], /not ready yet/, question);
      }
      assert.deepEqual(view.readyz.body.capabilities, {
        similarWords: 'seeding',
        similarImages: 'waiting',
        tagsForImage: 'waiting',
        imagesForText: 'waiting',
      });
    });

    test('while the word index builds: similarWords answers from the exact scan; the others are refused', () => {
      const view = views.get('wordIndex')!;
      assert.equal(view.questions.similarWords.answered, true);
      assert.equal(view.questions.similarWords.words!.length, 10);
      assert.equal(view.readyz.body.capabilities.similarWords, 'ready');
      for (const question of ['tagsForImage', 'imagesForText'] as const) {
        assertUnavailable(view.questions[question], kind === 'pglite' ? /not ready yet|building the word index/ : /not ready yet/, question);
      }
      const images = view.questions.similarImages;
      // The embedded store refuses anything that needs it while it builds; a server may already answer from part of the images.
      if (kind === 'pglite' || !images.answered) assertUnavailable(images, /building the word index|not ready yet/, 'similarImages');
      else assert.match(String((images.warming as { images: string }).images), /^\d+\/24$/);
    });

    test('the exact scan before the index gives the same neighbours as the index afterwards', () => {
      assert.deepEqual(views.get('wordIndex')!.questions.similarWords.words, afterSeed.questions.similarWords.words);
    });

    test('while the projection is fitted: similarImages answers and says the collection is still warming', () => {
      const view = views.get('projection')!;
      assert.equal(view.questions.similarImages.answered, true, view.questions.similarImages.message);
      assert.deepEqual(view.questions.similarImages.warming, { images: '24/24' });
      assert.equal(view.readyz.body.capabilities.similarImages, 'seeding');
      assertUnavailable(view.questions.tagsForImage, /Tags for a photo .*not ready yet/, 'tagsForImage');
      assertUnavailable(view.questions.imagesForText, /Searching photos by words .*not ready yet/, 'imagesForText');
    });

    test('while the model trains: images are ready, the image ↔ text questions say the model is being trained', () => {
      const view = views.get('model')!;
      assert.equal(view.questions.similarImages.answered, true);
      assert.equal(view.questions.similarImages.warming, undefined);
      assertUnavailable(view.questions.tagsForImage, /training the image → word model/, 'tagsForImage');
      assertUnavailable(view.questions.imagesForText, /training the image → word model/, 'imagesForText');
      assert.deepEqual(view.readyz.body.capabilities, {
        similarWords: 'ready',
        similarImages: 'ready',
        tagsForImage: 'seeding',
        imagesForText: 'seeding',
      });
    });

    test('after the seed: every question is answered and /readyz is 200 with every capability ready', () => {
      for (const [question, observation] of Object.entries(afterSeed.questions)) {
        assert.equal(observation.answered, true, `${question}: ${observation.message}`);
      }
      assert.equal(afterSeed.readyz.status, 200);
      assert.deepEqual(Object.values(afterSeed.readyz.body.capabilities), ['ready', 'ready', 'ready', 'ready']);
    });

    test('a restart seeds nothing: no phase runs, nothing is rewritten, every capability is ready', async () => {
      const before = await t.app.repositories.seedState.completed();
      // One process at a time opens an embedded store.
      await server.close();
      await t.app.close();
      closedForRestart = true;
      const again = await createApp(loadConfig(t.env), createLogger('silent'));
      try {
        const ran: WarmupPhase[] = [];
        await again.seed({ duringPhase: async (phase) => void ran.push(phase) });
        assert.deepEqual(ran, []);
        assert.deepEqual(await again.repositories.seedState.completed(), before);
        const readiness = await again.services.health.readiness();
        assert.deepEqual(Object.values(readiness.capabilities), ['ready', 'ready', 'ready', 'ready']);
      } finally {
        await again.close();
      }
    });
  });
}

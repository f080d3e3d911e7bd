// The image → word-space model: deterministic training on a small real subset,
// save/load in TF.js format with identical outputs, and a resumable seed phase
// that never trains or projects twice — on both stores.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { createLogger } from '../src/logger.js';
import { loadWordModel, projectToWords, saveWordModel, fitWordModel } from '../src/embedding/wordModel.js';
import { TUTORIAL_OPTIONS } from '../src/embedding/wordModelSpec.js';
import { targetVector } from '../src/embedding/trainingTargets.js';
import {
  MODEL_PHASE,
  ensureTagVocabulary,
  seedWordModel,
  trainWordModel,
  wordModelOptions,
  type WordModelOptions,
} from '../seeds/wordModel.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { noiseImage } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const quiet = createLogger('silent');
const CATEGORIES = ['cat', 'dog', 'train'];
const PER_CATEGORY = 10;
const EPOCHS = 6;

for (const kind of storeKinds()) {
  describe(`image → word model on ${kind}`, () => {
    let t: TestApp;
    let options: (dir: string) => WordModelOptions;
    let ridgeOptions: (dir: string) => WordModelOptions;

    serveDuringSuite(
      kind,
      (app) => {
        t = app;
      },
      { photos: { categories: CATEGORIES, perCategory: PER_CATEGORY }, seed: true, env: { IMAGES_LIMIT: '0', TRAIN_EPOCHS: String(EPOCHS) } },
    );
    before(() => {
      // A gradient-trained recipe: epochs, seeds and falling loss apply to it.
      options = (dir) => ({
        ...wordModelOptions(t.app.config.wordSpace, 'vocabulary-softmax-class75'),
        wordModelDir: path.join(t.store.env.DATA_DIR!, dir),
      });
      ridgeOptions = (dir) => ({
        ...wordModelOptions(t.app.config.wordSpace),
        wordModelDir: path.join(t.store.env.DATA_DIR!, dir),
      });
    });

    const deps = () => ({ ...t.app.repositories, embedder: t.app.embedder });

    test('training twice with one seed gives identical weights; loss falls; the split holds out 20%', async () => {
      const first = await trainWordModel(deps(), options('model-a'), quiet);
      const second = await trainWordModel(deps(), options('model-b'), quiet);
      const weights = (dir: string) => readFileSync(path.join(options(dir).wordModelDir, 'weights.bin'));
      assert.ok(weights('model-a').equals(weights('model-b')), 'same bytes');
      assert.deepEqual(
        first.epochs.map((e) => e.loss),
        second.epochs.map((e) => e.loss),
      );
      assert.equal(first.epochs.length, EPOCHS);
      assert.ok(first.epochs.at(-1)!.loss < first.epochs[0]!.loss, 'training reduces the loss');
      assert.ok(first.epochs.every((e) => Number.isFinite(e.validationLoss)), 'validation loss every epoch');
      assert.equal(first.trainImages, 24);
      assert.equal(first.heldOutImages, 6);
    });

    test('the default recipe fits in closed form: one step, the same bytes twice, nearer its targets than an untrained map', async () => {
      assert.equal(ridgeOptions('x').recipe.settings.solver, 'ridge');
      const first = await trainWordModel(deps(), ridgeOptions('ridge-a'), quiet);
      const second = await trainWordModel(deps(), ridgeOptions('ridge-b'), quiet);
      const weights = (dir: string) => readFileSync(path.join(ridgeOptions(dir).wordModelDir, 'weights.bin'));
      assert.ok(weights('ridge-a').equals(weights('ridge-b')), 'same bytes');
      assert.equal(first.epochs.length, 1);
      assert.deepEqual(first.epochs, second.epochs.map((e) => ({ ...e, seconds: first.epochs[0]!.seconds })));
      // 1 − cos: 1 for an uninformed map, 0 for a perfect fit; 24 images of 3 classes fit well.
      assert.ok(first.epochs[0]!.loss < 0.5, `training loss ${first.epochs[0]!.loss}`);
      assert.ok(Number.isFinite(first.epochs[0]!.validationLoss), 'validation loss');
      const projected = await t.app.embedder.projectManyToWords((await t.app.repositories.wordSpace.trainingImages()).map((r) => r.features));
      assert.ok(projected.every((v) => Math.abs(Math.hypot(...v) - 1) < 1e-5), 'unit vectors');
    });

    test('a caption-target recipe also learns from captioned photos that are not Pascal\'s; the split stays Pascal\'s', async () => {
      const before = await trainWordModel(deps(), ridgeOptions('ridge-pascal'), quiet);
      const base64 = (await noiseImage({ seed: 25 })).toString('base64');
      const added = await t.app.services.images.addImage({ base64 }, null, ['a dog runs on the beach', 'a brown dog on sand']);
      try {
        const after = await trainWordModel(deps(), ridgeOptions('ridge-with-others'), quiet);
        assert.equal(after.trainImages, before.trainImages + 1);
        assert.equal(after.heldOutImages, before.heldOutImages);
        const weights = (dir: string) => readFileSync(path.join(ridgeOptions(dir).wordModelDir, 'weights.bin'));
        assert.ok(!weights('ridge-pascal').equals(weights('ridge-with-others')), 'the captioned photo moved the map');
        const split = await t.app.db.primary.query('SELECT 1 FROM training_split WHERE image_id = $1', [added.id]);
        assert.equal(split.rowCount, 0);
        // A class-target recipe cannot learn from a photo without a category.
        const classRecipe = await trainWordModel(deps(), options('model-class-target'), quiet);
        assert.equal(classRecipe.trainImages, before.trainImages);
      } finally {
        await t.app.services.images.deleteImage(added.id);
      }
    });

    test('another seed gives other weights', async () => {
      const base = options('model-c');
      await trainWordModel(
        deps(),
        { ...base, recipe: { ...base.recipe, settings: { ...base.recipe.settings, seed: 7 } } },
        quiet,
      );
      const a = readFileSync(path.join(options('model-a').wordModelDir, 'weights.bin'));
      const c = readFileSync(path.join(base.wordModelDir, 'weights.bin'));
      assert.ok(!a.equals(c));
    });

    test('a saved model reloads with identical outputs', async () => {
      const rows = await t.app.repositories.wordSpace.trainingImages();
      const vectors = await t.app.repositories.words.findVectors(['cat', 'dog', 'train']);
      const features = rows.map((row) => row.features);
      const model = await fitWordModel({
        train: { features, targets: rows.map((row) => targetVector(row, 'class', vectors)) },
        options: { ...TUTORIAL_OPTIONS, epochs: 2 },
      });
      const before = projectToWords(model, features);
      const dir = path.join(t.store.env.DATA_DIR!, 'model-saved');
      await saveWordModel(model, dir, { test: true });
      const loaded = await loadWordModel(dir);
      const after = projectToWords(loaded.model, features);
      assert.deepEqual(after, before);
      assert.equal(loaded.metadata.test, true);
      assert.ok(Math.abs(Math.hypot(...after[0]!) - 1) < 1e-5, 'unit length');
    });

    test('the seed phase trains only without a model, projects only what is missing, and a re-run does nothing', async () => {
      const seedOptions = wordModelOptions(t.app.config.wordSpace);
      rmSync(seedOptions.wordModelDir, { recursive: true, force: true });
      const first = await seedWordModel(deps(), seedOptions, quiet);
      assert.ok(first.trained, 'trained: no model existed');
      assert.equal(first.projected, 30);
      assert.equal(await t.app.repositories.wordSpace.countUnprojected(), 0);
      assert.equal((await seedWordModel(deps(), seedOptions, quiet)).skipped, true);

      // A run killed after training, before projecting: the model is kept, vectors are filled in.
      await t.app.repositories.wordSpace.clearWordEmbeddings();
      const resumed = await seedWordModel(deps(), seedOptions, quiet);
      assert.equal(resumed.trained, undefined, 'no second training');
      assert.equal(resumed.projected, 30);
      const done = (await t.app.repositories.seedState.completed()).get(MODEL_PHASE);
      assert.equal(done?.tagVocabularySize, seedOptions.tagVocabularySize);
    });

    test('the tag vocabulary is written inside whileStoreBusy (questions are refused then, not kept waiting), and only there', async () => {
      const { tagVocabulary } = t.app.repositories;
      await tagVocabulary.replaceTagVocabulary([]);
      const busy: { what: string; before: number; after: number }[] = [];
      const whileStoreBusy = async <T>(what: string, _estimate: number, write: () => Promise<T>): Promise<T> => {
        const before = await tagVocabulary.countTagWords();
        const result = await write();
        busy.push({ what, before, after: await tagVocabulary.countTagWords() });
        return result;
      };
      const filled = await ensureTagVocabulary({ ...deps(), whileStoreBusy }, 10_000, quiet);
      assert.ok(filled > 0);
      assert.deepEqual(busy, [{ what: 'building the tag vocabulary', before: 0, after: filled }]);
    });
  });
}

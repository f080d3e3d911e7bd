// `npm run eval -- --reference`: the reference set's part of the evaluation
// (issue 25 part 4). Its photos' features are embedded once by the product's
// embedder and cached under DATA_DIR/eval. Measured: the cross-validation on
// folds of the training data (Pascal's training split and the reference set)
// before (today's parameters and recipe) and after (the served ones); with
// `--choose`, the search over recipes, k, T, the fusion weights and ConSE
// that chose them. Then the COCO sample with no COCO captions stored and the
// held-out Pascal photos, before (Pascal's captions alone, today's
// parameters, the model fitted on Pascal's training split) and after (Pascal
// and the reference set, the served parameters, the model fitted on both).
// `--tag-fusion` searches the tag fusion alone (tags only, at the served k and
// T). `--reference-limit N` reads only the first N reference photos (quick runs).
// `--feature-neighbours` also measures the served setting with the transfer's
// neighbours found by the plain features (cosine of the L2-normalised
// MobileNet features) instead of the projected vectors, everything else
// equal: in the folds, on the held-out Pascal photos and on the COCO sample;
// and the same with the projection's discriminant weight lowered (0, 0.25,
// 0.5 instead of 0.75), and by the features at two more temperatures.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import { listPascalImages } from '../dataset/pascal.js';
import { listReferencePhotos, referenceCaptionsFile, referenceDir } from '../dataset/referenceSet.js';
import {
  applyLinearMap,
  embeddingVersion,
  fitImageProjection,
  captionWordList,
  categoryWords,
  classNameVectors,
  conseVector,
  fitRidge,
  labelWords,
  mobilenetDir,
  readImageNetLabels,
  targetVector,
  TRANSFER,
  captionIdf,
  type TransferParameters,
} from '../embedding/index.js';
import { cachedFeatures } from '../eval/featureCache.js';
import { buildPool, nearestInPool, scorePascalTags, scorePascalText, TagScorer, type PoolPhoto, type TransferPhoto } from '../eval/transfer.js';
import { OPEN_VOCABULARY_QUERIES, type WordVectors } from '../eval/wordModelMetrics.js';
import type { RidgeRecipe } from '../eval/wordModelSelection.js';
import { l2Normalize } from '../lib/vectors.js';
import { scoreCocoSample, type CaptionScores } from './evalCaptions.js';
import {
  cvQueryWords,
  neighbourDistances,
  prepareCv,
  scoreSetting,
  spaceVector,
  type CvPhoto,
  type CvRecipe,
  type CvResult,
  type NeighbourSpace,
  type PreparedCv,
} from './evalReferenceCv.js';
import { chooseSettings, chooseTagFusion, CONSE_WEIGHTS, REFERENCE_RECIPES, SERVED_RECIPE, TODAY_RECIPE, TRANSFER_BEFORE } from './evalReferenceChoice.js';
import { scoreCoco } from './evalTransfer.js';

const SEARCH_VECTOR_BATCH = 8;
const limitArg = process.argv.indexOf('--reference-limit');
export const REFERENCE_LIMIT = limitArg >= 0 ? Number(process.argv[limitArg + 1]) : undefined;
const FEATURE_NEIGHBOURS = process.argv.includes('--feature-neighbours');
/** The temperatures also tried by the plain features (the served one is 0.1). */
const FEATURE_TEMPERATURES = [0.05, 0.2];
/** The neighbour spaces measured besides the served projection. */
const OTHER_SPACES: NeighbourSpace[] = FEATURE_NEIGHBOURS ? ['features', 'projection-0', 'projection-0.25', 'projection-0.5'] : [];

/** The photos of a set with their features and top ImageNet classes (embedded on the first run, then read from the cache). */
export async function withFeatures<T extends { id: string; file: string }>(app: App, config: Config, name: string, photos: T[], limit?: number) {
  const features = await cachedFeatures(app.embedder, name, photos, path.join(config.dataDir, 'eval'), limit);
  return features.map((f, i) => ({ ...photos[i]!, ...f }));
}

/** The unit vectors similarImages and the neighbour search compare, of photos' features (through the stored projection). */
export async function searchedImageVectors(app: App, features: readonly Float32Array[]): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  // A batch at a time: each reads the stored projection, and 7,091 at once would wait for connections.
  for (let start = 0; start < features.length; start += SEARCH_VECTOR_BATCH) {
    const batch = features.slice(start, start + SEARCH_VECTOR_BATCH);
    vectors.push(...(await Promise.all(batch.map(async (f) => l2Normalize((await app.services.images.searchVector(f)).vector)))));
  }
  return vectors;
}

/** Fits a ridge recipe on captioned photos: features → unit word-space vector. */
export function fitRecipe(rows: readonly CvPhoto[], recipe: RidgeRecipe, vectors: WordVectors): (features: Float32Array) => Float32Array {
  const idf = recipe.idf ? captionIdf(rows.map((row) => ({ category: row.category ?? '', captions: row.captions }))) : undefined;
  const map = fitRidge(
    rows.map((row) => row.features),
    rows.map((row) => targetVector({ category: row.category ?? '', captions: row.captions }, 'caption', vectors, undefined, idf)),
    recipe.lambda,
  );
  return (features) => l2Normalize(applyLinearMap(map, features));
}

export async function evaluateReference(app: App, config: Config, choose = process.argv.includes('--choose')) {
  const log = (line: string) => app.logger.info(line);
  const { wordSpace, images, words, tagVocabulary, evalTextSearch: rules } = app.repositories;
  if (!existsSync(referenceCaptionsFile(referenceDir(config.assets.dir)))) return null;
  const reference = await withFeatures(app, config, 'reference', listReferencePhotos(config.assets.dir), REFERENCE_LIMIT);
  if (reference.length === 0) return null;
  const pascalRows = await wordSpace.trainingImages();
  const conse = choose || process.argv.includes('--conse');
  // The ImageNet classes of Pascal's photos feed ConSE alone: embedded only when it is measured.
  const pascalClasses = new Map(
    conse ? (await withFeatures(app, config, 'pascal', listPascalImages(config.assets.dir), REFERENCE_LIMIT)).map((photo) => [photo.id, photo.classes]) : [],
  );
  const heldOutIds = new Set((await wordSpace.heldOutImages()).map((row) => row.id));
  const labels = readImageNetLabels(mobilenetDir(config.assets.dir));

  const needed = new Set<string>([...OPEN_VOCABULARY_QUERIES, ...labels.flatMap(labelWords)]);
  for (const row of [...pascalRows, ...reference]) {
    for (const word of captionWordList(row.captions)) needed.add(word);
    if ('category' in row && row.category) for (const word of categoryWords(row.category)) needed.add(word);
  }
  const vectors = await words.findVectors([...needed]);
  const classVectors = classNameVectors(labels, (word) => vectors.get(word));
  const vocabulary = (await tagVocabulary.foldedTagVocabulary()).map((word) => ({ ...word, vector: l2Normalize(word.vector) }));
  const scorer = new TagScorer(vocabulary);

  const pascal: CvPhoto[] = pascalRows.map((row) => ({
    id: row.id,
    captions: row.captions,
    category: row.category,
    features: row.features,
    conse: conseVector(pascalClasses.get(row.id) ?? [], classVectors),
  }));
  const referenceCv: CvPhoto[] = reference.map((photo) => ({
    id: photo.id,
    captions: photo.captions,
    category: null,
    features: photo.features,
    conse: conseVector(photo.classes, classVectors),
  }));
  const training = pascal.filter((photo) => !heldOutIds.has(photo.id));
  const queries = cvQueryWords([...training, ...referenceCv], new Set(vocabulary.map((word) => word.text)), vectors);
  // Without the search, only the two recipes compared are fitted.
  // And the served recipe fitted on Pascal's photos alone: the model a first start serves until the reference set is stored.
  const pascalModel: CvRecipe = { ...SERVED_RECIPE, pascalOnly: true };
  const recipes: CvRecipe[] = [...(choose ? REFERENCE_RECIPES : new Set([TODAY_RECIPE, SERVED_RECIPE])), pascalModel];
  const cv = prepareCv(training, referenceCv, recipes, vectors, scorer, queries, log, OTHER_SPACES);
  const chosen = choose ? await chooseSettings(cv, rules, log) : null;
  // `--conse`: the ConSE weights alone at the served setting (the search's last stage).
  const conseTrials = process.argv.includes('--conse')
    ? await Promise.all(CONSE_WEIGHTS.map((conseWeight) => scoreSetting(cv, { recipe: recipes.indexOf(SERVED_RECIPE), p: TRANSFER, conseWeight }, rules)))
    : null;
  // `--tag-fusion`: the tag fusion's grid alone at the served k and T (tags only).
  const tagFusion = process.argv.includes('--tag-fusion') ? chooseTagFusion(cv, recipes.indexOf(SERVED_RECIPE), TRANSFER, log) : null;
  const at = (recipe: CvRecipe, p: TransferParameters, neighbourSpace: NeighbourSpace = 'projection') =>
    scoreSetting(cv, { recipe: recipes.indexOf(recipe), p, conseWeight: 0, neighbourSpace }, rules);
  const crossValidation = {
    before: await at(TODAY_RECIPE, TRANSFER_BEFORE),
    after: await at(SERVED_RECIPE, TRANSFER),
    // The served parameters, the model fitted on Pascal's photos alone (what a store serves until its model is trained again).
    afterPascalModel: await at(pascalModel, TRANSFER),
    // The served setting, the neighbours found by the plain features.
    afterFeatureNeighbours: FEATURE_NEIGHBOURS ? await at(SERVED_RECIPE, TRANSFER, 'features') : null,
  };
  // By the plain features, the softmax's temperature again (the distances there spread differently);
  // the served setting in each other space; and each space's distances.
  const featureNeighbours = FEATURE_NEIGHBOURS
    ? {
        temperatures: await Promise.all(FEATURE_TEMPERATURES.map((temperature) => at(SERVED_RECIPE, { ...TRANSFER, temperature }, 'features'))),
        spaces: await Promise.all(OTHER_SPACES.filter((space) => space !== 'features').map((space) => at(SERVED_RECIPE, TRANSFER, space))),
        distances: Object.fromEntries(
          (['projection', ...OTHER_SPACES] as const).map((space) => [space, neighbourDistances(cv, space, TRANSFER.neighbours)]),
        ),
      }
    : null;

  // Held out: Pascal's 200 and the COCO sample, never read above.
  const searched = await images.findEmbeddings(pascalRows.map((row) => row.id));
  const pascalImage = new Map(pascalRows.map((row, i) => [row.id, l2Normalize(searched[i]!)]));
  const referenceImage = await searchedImageVectors(app, referenceCv.map((photo) => photo.features));
  const pools = {
    before: buildPool(pascal.map((photo) => ({ ...photo, imageVector: pascalImage.get(photo.id)! })), vectors),
    reference: buildPool(referenceCv.map((photo, i) => ({ ...photo, imageVector: referenceImage[i]! })), vectors),
  };
  // The same pools searched by the photos' vectors in the other spaces (`--feature-neighbours`), under the projection fitted
  // on Pascal's training split as the seed fits it.
  const projection = OTHER_SPACES.length > 0 ? fitImageProjection(training.map((photo) => ({ ...photo, category: photo.category! })), embeddingVersion()) : null;
  const featuresOf = new Map([...pascal, ...referenceCv].map((photo) => [photo.id, photo.features]));
  const inSpace = (space: NeighbourSpace, pool: PoolPhoto[]) =>
    pool.map((photo) => ({ ...photo, imageVector: spaceVector(space, projection, featuresOf.get(photo.id)!) }));
  const spacePools = new Map(OTHER_SPACES.map((space) => [space, { before: inSpace(space, pools.before), reference: inSpace(space, pools.reference) }]));
  const models = {
    before: fitRecipe(training, TODAY_RECIPE, vectors),
    after: fitRecipe([...training, ...referenceCv], SERVED_RECIPE, vectors),
  };
  const heldOut = pascal.filter((photo) => heldOutIds.has(photo.id));
  // One change at a time as well (pool, model, parameters), to say which one moves the class floor.
  const pascalHeldOut = async (pool: 'before' | 'after', model: 'before' | 'after', p: TransferParameters, space: NeighbourSpace = 'projection') => {
    const photos = heldOut.map((photo) => ({ ...photo, category: photo.category!, imageVector: pascalImage.get(photo.id)!, wordVector: models[model](photo.features) }));
    const searchedPools = space === 'projection' ? pools : spacePools.get(space)!;
    const trainingPool = searchedPools.before.filter((photo) => !heldOutIds.has(photo.id));
    const queries = space === 'projection' ? photos : photos.map((photo) => ({ id: photo.id, imageVector: spaceVector(space, projection, photo.features) }));
    const near = nearestInPool(queries, pool === 'before' ? trainingPool : [...trainingPool, ...searchedPools.reference], p.neighbours);
    return { ...scorePascalTags(photos, near, scorer, p), ...(await scorePascalText(photos, near, vectors, p, rules)) };
  };
  const pascalFloors = {
    before: await pascalHeldOut('before', 'before', TRANSFER_BEFORE),
    after: await pascalHeldOut('after', 'after', TRANSFER),
    afterFeatureNeighbours: FEATURE_NEIGHBOURS ? await pascalHeldOut('after', 'after', TRANSFER, 'features') : null,
    otherSpaces: Object.fromEntries(await Promise.all(OTHER_SPACES.map(async (space) => [space, await pascalHeldOut('after', 'after', TRANSFER, space)]))),
    parts: {
      referencePoolOnly: await pascalHeldOut('after', 'before', TRANSFER_BEFORE),
      parametersOnly: await pascalHeldOut('before', 'before', TRANSFER),
      modelOnly: await pascalHeldOut('before', 'after', TRANSFER_BEFORE),
      referencePoolAndParameters: await pascalHeldOut('after', 'before', TRANSFER),
    },
  };

  const coco = await scoreCocoSample(app, config.assets.dir);
  let cocoScores:
    | (Record<'before' | 'after' | 'afterPascalModel' | 'afterPlainTags', CaptionScores> & {
        afterFeatureNeighbours: CaptionScores | null;
        otherSpaces: Record<string, CaptionScores>;
      })
    | null = null;
  let cocoPhotos: Record<'before' | 'after', { photos: TransferPhoto[]; near: ReturnType<typeof nearestInPool> }> | null = null;
  if (coco) {
    const projected = await Promise.all(coco.features.map((f) => app.services.images.searchVector(f)));
    const cocoSet = (when: 'before' | 'after', p: TransferParameters) => {
      const photos = coco.sample.map((photo, i) => ({
        id: photo.id,
        captions: photo.captions,
        imageVector: l2Normalize(projected[i]!.vector),
        wordVector: models[when](coco.features[i]!),
      }));
      return { photos, near: nearestInPool(photos, when === 'before' ? pools.before : [...pools.before, ...pools.reference], p.neighbours) };
    };
    cocoPhotos = { before: cocoSet('before', TRANSFER_BEFORE), after: cocoSet('after', TRANSFER) };
    // The served setting, the neighbours found in another space by the COCO photos' vectors there and the pool's.
    const nearIn = (space: NeighbourSpace) =>
      nearestInPool(
        coco.sample.map((photo, i) => ({ id: photo.id, imageVector: spaceVector(space, projection, coco.features[i]!) })),
        [...spacePools.get(space)!.before, ...spacePools.get(space)!.reference],
        TRANSFER.neighbours,
      );
    const inOtherSpace = async (space: NeighbourSpace) =>
      [space, await scoreCoco(cocoPhotos!.after.photos, nearIn(space), scorer, coco.queries, true, true, rules, TRANSFER)] as const;
    const otherSpaces: Record<string, CaptionScores> = Object.fromEntries(await Promise.all(OTHER_SPACES.map(inOtherSpace)));
    cocoScores = {
      before: await scoreCoco(cocoPhotos.before.photos, cocoPhotos.before.near, scorer, coco.queries, true, true, rules, TRANSFER_BEFORE),
      after: await scoreCoco(cocoPhotos.after.photos, cocoPhotos.after.near, scorer, coco.queries, true, true, rules, TRANSFER),
      // The reference pool and the served parameters, the model still fitted on Pascal's training split alone.
      // The served pool and parameters with the tag fusion before the share exponent and the shown caption word.
      afterPlainTags: await scoreCoco(cocoPhotos.after.photos, cocoPhotos.after.near, scorer, coco.queries, true, true, rules, {
        ...TRANSFER,
        tagShareExponent: 1,
        tagShowsCaptionWord: false,
      }),
      afterPascalModel: await scoreCoco(
        cocoPhotos.after.photos.map((photo, i) => ({ ...photo, wordVector: models.before(coco.features[i]!) })),
        cocoPhotos.after.near,
        scorer,
        coco.queries,
        true,
        true,
        rules,
        TRANSFER,
      ),
      afterFeatureNeighbours: otherSpaces.features ?? null,
      otherSpaces,
    };
  }
  return {
    results: {
      referencePhotos: reference.length,
      cvQueryWords: queries.map((q) => q.word),
      chosen,
      tagFusion,
      conseTrials,
      crossValidation,
      featureNeighbours,
      pascalFloors,
      coco: cocoScores,
    },
    cv,
    coco,
    cocoPhotos,
    scorer,
  };
}

export type ReferenceEvaluation = NonNullable<Awaited<ReturnType<typeof evaluateReference>>>;
export type { CvResult, PreparedCv };

// The caption-transfer part of `npm run eval`: the cross-validation inside
// Pascal's training split that chose the transfer's parameters, the held-out
// Pascal photos with and without the training photos' captions in the pool,
// the COCO sample with no COCO captions stored (the model alone, tags by
// transfer, text search by transfer, both), and "captions teach": half of the
// COCO sample stored with its captions, the other half measured before and
// after. Own captions are never used. Pools and neighbours are computed
// exactly in memory over the vectors the store searches.
import { createHash } from 'node:crypto';
import type { App } from '../app.js';
import {
  applyLinearMap,
  captionWordList,
  categoryWords,
  fitRidge,
  heaviestVoters,
  targetVector,
  TRANSFER,
  type FoldedTag,
  type TransferParameters,
} from '../embedding/index.js';
import {
  buildPool,
  nearestInPool,
  scorePascalTags,
  scorePascalText,
  searchedTexts,
  TagScorer,
  type Neighbour,
  type PoolPhoto,
  type TextSearchRules,
  type TransferPhoto,
} from '../eval/transfer.js';
import { crossValidate, type CvTrial, type FitWordModel } from '../eval/transferCrossValidation.js';
import { captionWordSet, textToImagePrecision, type QueryWord } from '../eval/captionMetrics.js';
import { OPEN_VOCABULARY_QUERIES, type SearchedVector } from '../eval/wordModelMetrics.js';
import type { ReportTable, SampleGrid } from '../eval/evalReport.js';
import { mentions } from '../eval/wordForms.js';
import { l2Normalize } from '../lib/vectors.js';
import { DEFAULT_RECIPE_NAME } from '../../seeds/wordModel.js';
import { RECIPES } from '../../seeds/wordModelRecipes.js';
import type { WordVectors } from '../eval/wordModelMetrics.js';
import { cocoThumbnail, summarise, type CaptionScores, type scoreCocoSample } from './evalCaptions.js';

type Coco = NonNullable<Awaited<ReturnType<typeof scoreCocoSample>>>;

/** The model alone: no captioned neighbour. */
const NO_NEIGHBOURS: readonly Neighbour[] = [];
const GRID_TAG_PHOTOS = 12;
const HALF_SEED = 'semsearch-coco-half-v1';

export interface TransferResults {
  parameters: { served: TransferParameters; chosenByCrossValidation: TransferParameters };
  crossValidation: { modelOnly: CvTrial; trials: CvTrial[] };
  pascalHeldOut: Record<'modelOnly' | 'withTrainingCaptions', ReturnType<typeof scorePascalTags> & Awaited<ReturnType<typeof scorePascalText>>>;
  coco: Record<'modelOnly' | 'transferTags' | 'transferText' | 'transfer', CaptionScores> | null;
  cocoHalves: { rule: string; photos: number; before: CaptionScores; after: CaptionScores } | null;
}

/** The default recipe refitted on a fold (closed-form ridge recipes only: the others take minutes a fit). */
function defaultWordModel(vectors: WordVectors): FitWordModel {
  const recipe = RECIPES[DEFAULT_RECIPE_NAME]!;
  const { target, settings } = recipe;
  if (settings.solver !== 'ridge' || target.kind === 'vocabulary') {
    throw new Error(`the transfer's cross-validation refits the default model per fold: '${recipe.name}' is not a ridge recipe`);
  }
  return (rows) => {
    const map = fitRidge(
      rows.map((row) => row.features),
      rows.map((row) => targetVector(row, target.kind, vectors, target.classWeight)),
      settings.ridge ?? 1,
    );
    return (features) => l2Normalize(applyLinearMap(map, features));
  };
}

/** The half of the COCO sample stored with captions: the photos whose seeded hash of their id is even. */
const inTaughtHalf = (id: string) => createHash('sha1').update(`${HALF_SEED}:${id}`).digest()[0]! % 2 === 0;

/** The stored Pascal photos as transfer measures them (their searched image vectors and model vectors), and the held-out ids. */
export async function pascalTransferPhotos(app: App) {
  const { wordSpace, tags, images } = app.repositories;
  const rows = await wordSpace.trainingImages();
  const heldOutIds = new Set((await wordSpace.heldOutImages()).map((row) => row.id));
  const [searched, modelVectors] = await Promise.all([
    images.findEmbeddings(rows.map((row) => row.id)),
    tags.wordEmbeddings(rows.map((row) => row.id)),
  ]);
  const pascal = rows.map((row, i) => ({
    ...row,
    imageVector: l2Normalize(searched[i]!),
    wordVector: l2Normalize(modelVectors[i]!),
  }));
  return { rows, pascal, heldOutIds };
}

/** Photos embedded by the evaluation (not stored) as transfer measures them: the image vector searched as similarImages would, and the model's. */
export async function transferPhotos(
  app: App,
  photos: readonly { id: string; captions: readonly string[] }[],
  features: readonly Float32Array[],
  wordVectors: readonly Float32Array[],
): Promise<TransferPhoto[]> {
  const projected = await Promise.all(features.map((f) => app.services.images.searchVector(f)));
  return photos.map((photo, i) => ({
    id: photo.id,
    captions: photo.captions,
    imageVector: l2Normalize(projected[i]!.vector),
    wordVector: wordVectors[i]!,
  }));
}

export async function evaluateTransfer(app: App, coco: Coco | null, log: (line: string) => void) {
  const { tagVocabulary, words, evalTextSearch: rules } = app.repositories;
  const { rows, pascal, heldOutIds } = await pascalTransferPhotos(app);
  const needed = new Set<string>([...OPEN_VOCABULARY_QUERIES, ...rows.flatMap((row) => categoryWords(row.category))]);
  for (const caption of [...rows.flatMap((r) => r.captions), ...(coco?.sample.flatMap((p) => p.captions) ?? [])]) {
    for (const word of captionWordList([caption])) needed.add(word);
  }
  const vectors = await words.findVectors([...needed]);
  const vocabulary = (await tagVocabulary.foldedTagVocabulary()).map((word) => ({ ...word, vector: l2Normalize(word.vector) }));
  const scorer = new TagScorer(vocabulary);

  const training = pascal.filter((row) => !heldOutIds.has(row.id));
  const heldOut = pascal.filter((row) => heldOutIds.has(row.id));
  log(`caption transfer: cross-validating k, T and the fusion weights on ${training.length} training photos`);
  const cv = await crossValidate(training, scorer, vectors, defaultWordModel(vectors), rules);
  const served = TRANSFER;

  const trainingPool = buildPool(training, vectors);
  const heldOutNeighbours = nearestInPool(heldOut, trainingPool, served.neighbours);
  const pascalScores = async (near: readonly (readonly Neighbour[])[]) => ({
    ...scorePascalTags(heldOut, near, scorer, served),
    ...(await scorePascalText(heldOut, near, vectors, served, rules)),
  });
  const pascalHeldOut = {
    modelOnly: await pascalScores(heldOut.map(() => NO_NEIGHBOURS)),
    withTrainingCaptions: await pascalScores(heldOutNeighbours),
  };

  let cocoScores: TransferResults['coco'] = null;
  let cocoHalves: TransferResults['cocoHalves'] = null;
  let reportGrid: SampleGrid[] = [];
  if (coco) {
    const photos = await transferPhotos(app, coco.sample, coco.features, coco.photos.map((photo) => photo.vector));
    const pascalPool = buildPool(pascal, vectors);
    const score = (subset: readonly TransferPhoto[], near: readonly (readonly Neighbour[])[], tagsBy: boolean, textBy: boolean) =>
      scoreCoco(subset, near, scorer, coco.queries, tagsBy, textBy, rules);
    const near = nearestInPool(photos, pascalPool, served.neighbours);
    cocoScores = {
      modelOnly: await score(photos, near, false, false),
      transferTags: await score(photos, near, true, false),
      transferText: await score(photos, near, false, true),
      transfer: await score(photos, near, true, true),
    };
    const taught = photos.filter((photo) => inTaughtHalf(photo.id));
    const measured = photos.filter((photo) => !inTaughtHalf(photo.id));
    const taughtPool: PoolPhoto[] = [...pascalPool, ...buildPool(taught, vectors)];
    cocoHalves = {
      rule: `stored with captions: the photos whose sha1("${HALF_SEED}:<id>") starts with an even byte (${taught.length})`,
      photos: measured.length,
      before: await score(measured, nearestInPool(measured, pascalPool, served.neighbours), true, true),
      after: await score(measured, nearestInPool(measured, taughtPool, served.neighbours), true, true),
    };
    reportGrid = await tagGrid(coco, photos, near, scorer);
  }
  const results: TransferResults = {
    parameters: { served, chosenByCrossValidation: cv.chosen },
    crossValidation: { modelOnly: cv.modelOnly, trials: cv.trials },
    pascalHeldOut,
    coco: cocoScores,
    cocoHalves,
  };
  return { results, summaryRows: summaryRows(results), tables: tables(results), grids: reportGrid };
}

/** Photos' tags (precision@5, recall@10) and text → image P@10 over the query words, by the model or by transfer with `p`. */
export async function scoreCoco(
  photos: readonly TransferPhoto[],
  neighbours: readonly (readonly Neighbour[])[],
  scorer: TagScorer,
  queries: readonly QueryWord[],
  tagsByTransfer: boolean,
  textByTransfer: boolean,
  rules: TextSearchRules,
  p: TransferParameters = TRANSFER,
): Promise<CaptionScores> {
  const searched: readonly SearchedVector[] = textByTransfer
    ? await searchedTexts(photos, neighbours, queries.map((query) => ({ words: [query.word], vector: query.vector })), p, rules)
    : photos.map((photo) => ({ vector: photo.wordVector }));
  const scored = photos.map((photo, i) => ({
    id: photo.id,
    captions: photo.captions,
    captionWords: captionWordSet(photo.captions),
    vector: searched[i]!.vector,
    textScores: searched[i]!.textScores,
    tags: scorer.tags(photo, tagsByTransfer ? neighbours[i]! : NO_NEIGHBOURS, p).map((tag) => tag.text),
  }));
  return summarise(scored, textToImagePrecision(scored, queries));
}

/** Each tag, ✓ when the captions use it, its source, and its evidence (Tag.evidence: the voting neighbours and their weights) when `near` is given. */
export const labelled = (tags: readonly FoldedTag[], captionWords: ReadonlySet<string>, near: readonly Neighbour[] = []) =>
  tags.map((tag) => {
    const evidence = heaviestVoters(tag.voters).map((voter) => `${near[voter.place]?.photo.id} ${voter.weight.toFixed(2)}`);
    return `${tag.text}${mentions(captionWords, [tag.text]) ? ' ✓' : ''} (${tag.source.toLowerCase().replace('_', ' ')})${
      evidence.length > 0 ? ` ← ${evidence.join(', ')}` : ''
    }`;
  });

/** 12 COCO photos' first 10 tags beside their captions: the model alone, then with the Pascal captions' transfer. */
async function tagGrid(coco: Coco, photos: readonly TransferPhoto[], near: readonly (readonly Neighbour[])[], scorer: TagScorer) {
  const step = Math.max(1, Math.floor(photos.length / GRID_TAG_PHOTOS));
  const grids: SampleGrid[] = [];
  for (let i = 0; i < photos.length && grids.length < GRID_TAG_PHOTOS; i += step) {
    const photo = photos[i]!;
    const captionWords = captionWordSet(photo.captions);
    grids.push({
      title: `${photo.id}: before → after`,
      words: [
        'before:',
        ...labelled(scorer.tags(photo, NO_NEIGHBOURS, TRANSFER), captionWords),
        'after:',
        ...labelled(scorer.tags(photo, near[i]!, TRANSFER), captionWords, near[i]!),
      ],
      results: [await cocoThumbnail(coco.sample[i]!, photo.captions.join(' / '))],
    });
  }
  return grids;
}

function summaryRows(r: TransferResults): [string, number][] {
  const rows: [string, number][] = [
    ['transfer, Pascal held out, model only: tags top-1', r.pascalHeldOut.modelOnly.tagsTop1],
    ['transfer, Pascal held out, model only: tags top-5', r.pascalHeldOut.modelOnly.tagsTop5],
    ['transfer, Pascal held out, model only: tag precision@5', r.pascalHeldOut.modelOnly.tagPrecisionAt5],
    ['transfer, Pascal held out, model only: class text→image P@10', r.pascalHeldOut.modelOnly.classTextToImage],
    ['transfer, Pascal held out, model only: open vocabulary P@10', r.pascalHeldOut.modelOnly.openVocabulary],
    ['transfer, Pascal held out, 800 training captions: tags top-1', r.pascalHeldOut.withTrainingCaptions.tagsTop1],
    ['transfer, Pascal held out, 800 training captions: tags top-5', r.pascalHeldOut.withTrainingCaptions.tagsTop5],
    ['transfer, Pascal held out, 800 training captions: tag precision@5', r.pascalHeldOut.withTrainingCaptions.tagPrecisionAt5],
    ['transfer, Pascal held out, 800 training captions: class text→image P@10', r.pascalHeldOut.withTrainingCaptions.classTextToImage],
    ['transfer, Pascal held out, 800 training captions: open vocabulary P@10', r.pascalHeldOut.withTrainingCaptions.openVocabulary],
  ];
  if (r.coco) {
    const variants = { modelOnly: 'model only (today)', transferTags: 'tags by transfer', transferText: 'text by transfer', transfer: 'transfer (default)' } as const;
    for (const [key, label] of Object.entries(variants)) {
      const s = r.coco[key as keyof typeof variants];
      rows.push(
        [`transfer, COCO no COCO captions, ${label}: text→image P@10`, s.textToImage!.mean],
        [`transfer, COCO no COCO captions, ${label}: tag precision@5`, s.tagPrecisionAt5],
        [`transfer, COCO no COCO captions, ${label}: tag recall@10`, s.tagRecallAt10],
      );
    }
  }
  if (r.cocoHalves) {
    for (const when of ['before', 'after'] as const) {
      const s = r.cocoHalves[when];
      const label = `transfer, uncaptioned COCO half ${when} the other half is stored with captions`;
      rows.push(
        [`${label}: tag precision@5`, s.tagPrecisionAt5],
        [`${label}: tag recall@10`, s.tagRecallAt10],
        [`${label}: text→image P@10`, s.textToImage!.mean],
      );
    }
  }
  return rows;
}

function tables(r: TransferResults): ReportTable[] {
  const p = (x: TransferParameters) =>
    `k ${x.neighbours}, T ${x.temperature}, tag weight ${x.tagWeight}, text weight ${x.textWeight}, text vote weight ${x.textVoteWeight}`;
  const best = [...r.crossValidation.trials].sort((a, b) => b.tagPrecisionAt5 - a.tagPrecisionAt5).slice(0, 12);
  return [
    {
      title: 'Caption transfer: cross-validation inside the training split (5 folds, best 12 by tag precision@5)',
      note: `Served: ${p(r.parameters.served)}. Chosen by the cross-validation: ${p(r.parameters.chosenByCrossValidation)}.`,
      header: ['k', 'T', 'tag weight', 'text weight', 'text vote weight', 'tag precision@5', 'tags top-5', 'class text→image', 'open vocabulary'],
      rows: [r.crossValidation.modelOnly, ...best].map((t) => [
        t.neighbours === 0 ? 'model only' : String(t.neighbours),
        String(t.temperature),
        String(t.tagWeight),
        String(t.textWeight),
        String(t.textVoteWeight),
        t.tagPrecisionAt5,
        t.tagsTop5,
        t.classTextToImage,
        t.openVocabulary,
      ]),
    },
  ];
}

// The several-words part of `npm run eval` (`-- --word-pairs` alone): texts of
// two words that captions use together, a photo relevant when its own
// captions use both. The vote's shift is chosen on training data only: folds
// of Pascal's training split and of the reference set, each fold's photos
// uncaptioned queries against every other captioned photo (the reference
// set's cross-validation, evalReferenceCv.ts), over pairs of words their own
// captions use together. Then the COCO sample is measured with no COCO
// caption stored: before (Pascal's captions vote, the mean of the words'
// votes) and after (Pascal's and the whole reference set's captions vote, as
// a store with the reference set serves). COCO never chooses anything.
import { existsSync } from 'node:fs';
import type { App } from '../app.js';
import { listReferencePhotos, referenceCaptionsFile, referenceDir } from '../dataset/referenceSet.js';
import { captionWordList, TEXT_VOTE_SHIFT, TRANSFER, type TransferParameters } from '../embedding/index.js';
import { COCO_QUERY_WORDS } from '../eval/cocoQueries.js';
import { buildPool, nearestInPool, TagScorer, type Neighbour, type TransferPhoto } from '../eval/transfer.js';
import {
  captionWordGroups,
  MEAN_SHIFT,
  MIN_PAIR_CAPTIONS,
  VOTE_SHIFTS,
  wordPairPrecision,
  wordPairQueries,
  type WordPairQuery,
} from '../eval/wordPairs.js';
import { average } from '../eval/captionMetrics.js';
import { l2Normalize } from '../lib/vectors.js';
import type { scoreCocoSample } from './evalCaptions.js';
import { fitRecipe, REFERENCE_LIMIT, searchedImageVectors, withFeatures } from './evalReference.js';
import { SERVED_RECIPE, TODAY_RECIPE, TRANSFER_BEFORE } from './evalReferenceChoice.js';
import { prepareCv, type CvPhoto } from './evalReferenceCv.js';

type Coco = NonNullable<Awaited<ReturnType<typeof scoreCocoSample>>>;

/** A word of a training set is a query word when the captions of this many photos use it (the COCO list's rule). */
const MIN_GROUP_PHOTOS = 8;

export interface ShiftTrial {
  shift: number;
  precision: number;
}

export interface WordPairSet {
  name: string;
  photos: number;
  pairs: number;
  examples: string[];
  trials: ShiftTrial[];
}

export interface WordPairRow {
  label: string;
  precision: number;
}

export interface WordPairResults {
  served: { shift: number; parameters: TransferParameters };
  minPairCaptions: number;
  referencePhotos: number;
  /** Training folds: P@10 at each shift (what chose the served one). */
  tuning: WordPairSet[];
  /** The COCO sample, no COCO caption stored: each row a pool, rule and parameters; `before` and `after` the issue's two. */
  coco: (Omit<WordPairSet, 'trials'> & { rows: WordPairRow[]; before: number; after: number }) | null;
}

/** The shifts' P@10 over the folds' query photos (each fold's pool leaves the fold out), the mean over the folds. */
async function sweep(
  name: string,
  folds: readonly { photos: readonly TransferPhoto[]; neighbours: readonly (readonly Neighbour[])[] }[],
  queries: readonly WordPairQuery[],
  app: App,
): Promise<WordPairSet> {
  const trials: ShiftTrial[] = [];
  for (const shift of VOTE_SHIFTS) {
    const perFold: number[] = [];
    for (const fold of folds) {
      perFold.push(await wordPairPrecision(fold.photos, fold.neighbours, queries, TRANSFER, app.repositories.evalTextSearch, shift));
    }
    trials.push({ shift, precision: average(perFold) });
  }
  const photos = folds.reduce((n, fold) => n + fold.photos.length, 0);
  return { name, photos, pairs: queries.length, examples: queries.slice(0, 8).map((q) => q.words.join(' ')), trials };
}

export async function evaluateWordPairs(app: App, coco: Coco | null, log: (line: string) => void): Promise<WordPairResults> {
  const { words, tagVocabulary, wordSpace, evalTextSearch: rules } = app.repositories;
  const config = app.config;
  const hasReference = existsSync(referenceCaptionsFile(referenceDir(config.assets.dir)));
  const reference = hasReference ? await withFeatures(app, config, 'reference', listReferencePhotos(config.assets.dir), REFERENCE_LIMIT) : [];
  const pascalRows = await wordSpace.trainingImages();
  const heldOutIds = new Set((await wordSpace.heldOutImages()).map((row) => row.id));

  const captionSets = [...pascalRows, ...(coco?.sample ?? []), ...reference].map((photo) => photo.captions);
  const vectors = await words.findVectors([...new Set(captionSets.flatMap((captions) => captionWordList(captions)))]);
  const vocabulary = (await tagVocabulary.foldedTagVocabulary()).map((word) => ({ ...word, vector: l2Normalize(word.vector) }));
  const tagWords = new Set(vocabulary.map((word) => word.text));
  const trainingQueries = (sets: readonly (readonly string[])[]) =>
    wordPairQueries(sets, captionWordGroups(sets, MIN_GROUP_PHOTOS, (word) => tagWords.has(word)), vectors);

  const asCv = (photo: { id: string; captions: string[]; features: Float32Array }, category: string | null): CvPhoto => ({
    id: photo.id,
    captions: photo.captions,
    category,
    features: photo.features,
    conse: null,
  });
  const pascal = pascalRows.map((row) => asCv(row, row.category));
  const training = pascal.filter((photo) => !heldOutIds.has(photo.id));
  const referenceCv = reference.map((photo) => asCv(photo, null));

  // Tuning: the reference set's folds (and Pascal's training split's), the word model refitted without the fold.
  const cv = prepareCv(training, referenceCv, [SERVED_RECIPE], vectors, new TagScorer(vocabulary), [], log);
  const foldsOf = (set: 'pascal' | 'reference') =>
    cv.folds.map((fold) => ({
      photos: fold[set].photos.map((photo, i) => ({ ...photo, wordVector: fold[set].wordVectors[0]![i]! })),
      neighbours: fold[set].neighbours,
    }));
  const tuning: WordPairSet[] = [
    await sweep('Pascal training split: 5 folds, each against the other training photos and the reference set', foldsOf('pascal'), trainingQueries(training.map((p) => p.captions)), app),
  ];
  if (referenceCv.length > 0) {
    tuning.push(
      await sweep(
        `reference set: 5 folds of ${referenceCv.length} photos (400 of each scored), each against Pascal's training split and the other folds`,
        foldsOf('reference'),
        trainingQueries(referenceCv.map((p) => p.captions)),
        app,
      ),
    );
  }

  if (!coco) return { served: { shift: TEXT_VOTE_SHIFT, parameters: TRANSFER }, minPairCaptions: MIN_PAIR_CAPTIONS, referencePhotos: reference.length, tuning, coco: null };
  const searched = await app.repositories.images.findEmbeddings(pascalRows.map((row) => row.id));
  const pascalPool = buildPool(pascalRows.map((row, i) => ({ ...row, imageVector: l2Normalize(searched[i]!) })), vectors);
  const referenceImages = await searchedImageVectors(app, referenceCv.map((photo) => photo.features));
  const fullPool = [...pascalPool, ...buildPool(referenceCv.map((photo, i) => ({ ...photo, imageVector: referenceImages[i]! })), vectors)];
  const cocoImages = await searchedImageVectors(app, coco.features);
  const models = { pascal: fitRecipe(training, TODAY_RECIPE, vectors), both: fitRecipe([...training, ...referenceCv], SERVED_RECIPE, vectors) };
  const photosBy = (model: (features: Float32Array) => Float32Array): TransferPhoto[] =>
    coco.sample.map((photo, i) => ({ id: photo.id, captions: photo.captions, imageVector: cocoImages[i]!, wordVector: model(coco.features[i]!) }));
  const photos = { pascal: photosBy(models.pascal), both: photosBy(models.both) };
  const maxK = Math.max(TRANSFER.neighbours, TRANSFER_BEFORE.neighbours);
  const near = { pascal: nearestInPool(photos.pascal, pascalPool, maxK), full: nearestInPool(photos.pascal, fullPool, maxK) };
  const queries = wordPairQueries(
    coco.sample.map((photo) => photo.captions),
    COCO_QUERY_WORDS.map(([word, forms]) => ({ word, forms })),
    vectors,
  );
  const at = (model: keyof typeof photos, pool: keyof typeof near | null, p: TransferParameters, shift: number) =>
    wordPairPrecision(photos[model], pool ? near[pool] : photos[model].map(() => []), queries, p, rules, shift);
  const rows: WordPairRow[] = [];
  const row = async (label: string, precision: Promise<number>) => {
    rows.push({ label, precision: await precision });
    return rows.at(-1)!.precision;
  };
  await row('the model alone (fitted on Pascal), nobody votes', at('pascal', null, TRANSFER, TEXT_VOTE_SHIFT));
  const before = await row(
    "Pascal's captions vote, mean of the words' votes, k 10, T 0.2 (before issue 25)",
    at('pascal', 'pascal', TRANSFER_BEFORE, MEAN_SHIFT),
  );
  await row("Pascal's captions vote, mean of the words' votes, served k and T", at('pascal', 'pascal', TRANSFER, MEAN_SHIFT));
  await row(`Pascal's captions vote, all words together (shift ${TEXT_VOTE_SHIFT}), served k and T`, at('pascal', 'pascal', TRANSFER, TEXT_VOTE_SHIFT));
  if (referenceCv.length > 0) {
    await row(`Pascal + ${referenceCv.length} reference photos vote, mean of the words' votes`, at('both', 'full', TRANSFER, MEAN_SHIFT));
  }
  const after = await row(
    `${referenceCv.length > 0 ? `Pascal + ${referenceCv.length} reference photos` : "Pascal's captions"} vote, all words together (served)`,
    at(referenceCv.length > 0 ? 'both' : 'pascal', referenceCv.length > 0 ? 'full' : 'pascal', TRANSFER, TEXT_VOTE_SHIFT),
  );
  return {
    served: { shift: TEXT_VOTE_SHIFT, parameters: TRANSFER },
    minPairCaptions: MIN_PAIR_CAPTIONS,
    referencePhotos: reference.length,
    tuning,
    coco: {
      name: 'COCO sample, no COCO caption stored',
      photos: coco.sample.length,
      pairs: queries.length,
      examples: queries.slice(0, 8).map((q) => q.words.join(' ')),
      rows,
      before,
      after,
    },
  };
}

/** Summary lines of the full evaluation. */
export function wordPairSummaryRows(r: WordPairResults): [string, number][] {
  if (!r.coco) return [];
  const label = `COCO no COCO captions, word-pair P@10 (${r.coco.pairs} pairs used together in ≥ ${r.minPairCaptions} captions)`;
  return [
    ...r.coco.rows.map((row): [string, number] => [`${label}: ${row.label}`, row.precision]),
    [`${label}: after / before`, r.coco.after / Math.max(r.coco.before, 1e-9)],
  ];
}

/** The results as printed lines. */
export function printWordPairs(r: WordPairResults, write: (text: string) => void): void {
  for (const set of r.tuning) {
    write(`${set.name}: ${set.photos} photos, ${set.pairs} pairs (e.g. ${set.examples.join(', ')})\n`);
    for (const t of set.trials) write(`  shift ${t.shift === MEAN_SHIFT ? 'mean' : t.shift}: P@10 ${t.precision.toFixed(3)}\n`);
  }
  if (r.coco) {
    write(`${r.coco.name}: ${r.coco.photos} photos, ${r.coco.pairs} pairs (e.g. ${r.coco.examples.join(', ')})\n`);
    for (const [name, value] of wordPairSummaryRows(r)) write(`  ${name}: ${value.toFixed(3)}\n`);
  }
}

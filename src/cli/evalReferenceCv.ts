// Cross-validation on folds of the training data for the larger pool of
// captioned photos (issue 25 part 4): Pascal's training split and the
// reference set, each cut into 5 folds; a fold's photos are uncaptioned
// queries against every other captioned photo, with the image projection and
// the image → word model refitted without the fold. Everything is scored by
// the served functions (scoreTags and foldTags through TagScorer, the store's
// searched_text_vector and text_search_score through searchedTexts). The
// COCO sample is never read here. Optionally the neighbours are also found in
// other spaces than the projected vectors (the plain features: cosine of the
// L2-normalised MobileNet features; or the fold's projection with another
// discriminant weight), a setting's `neighbourSpace` choosing which.
import {
  applyImageProjection,
  captionWordList,
  embeddingVersion,
  fitImageProjection,
  withConse,
  type ImageProjection,
  type TransferParameters,
} from '../embedding/index.js';
import { l2Normalize } from '../lib/vectors.js';
import { average, captionWordSet, namesClass, textToImagePrecision, type QueryWord } from '../eval/captionMetrics.js';
import {
  buildPool,
  nearestInPool,
  searchedTexts,
  TagScorer,
  type Neighbour,
  type TextSearchRules,
  type TransferPhoto,
} from '../eval/transfer.js';
import { classQueries, mean, scoreClassQueries, type WordVectors } from '../eval/wordModelMetrics.js';
import { outOfFoldVectors, recipeName, type LabImage, type RidgeRecipe } from '../eval/wordModelSelection.js';
import { summarise } from './evalCaptions.js';

export const REFERENCE_CV_FOLDS = 5;
/** The most neighbours any trial reads. */
const MAX_NEIGHBOURS = 40;
/** Open-vocabulary query words: the most used depictable caption words of the training photos. */
const QUERY_WORDS = 100;
/** Reference photos scored per fold, evenly spaced (the whole fold still leaves the pool): bounds the time a trial takes. */
const REFERENCE_QUERIES_PER_FOLD = 400;

/** A captioned training photo: Pascal's (with its category) or the reference set's (none). */
export interface CvPhoto {
  id: string;
  captions: string[];
  category: string | null;
  features: Float32Array;
  /** Its ConSE vector (null: not known, or no class name has a vector). */
  conse: Float32Array | null;
}

/** A ridge recipe of the CV; `pascalOnly`: fitted on Pascal's photos outside the fold alone, as the model a first start trains before the reference set is stored. */
export type CvRecipe = RidgeRecipe & { pascalOnly?: boolean };

export const cvRecipeName = (recipe: CvRecipe) => `${recipeName(recipe)}${recipe.pascalOnly ? ', fitted on Pascal alone' : ''}`;

/**
 * The vectors the transfer's neighbours are found by: the searched image
 * vectors (features through the fold's projection, as served), the plain
 * features, or `projection-W`: the fold's projection with the discriminant
 * weight W instead of the served 0.75 (0: the centred features alone).
 */
export type NeighbourSpace = 'projection' | 'features' | `projection-${number}`;

/** A photo's unit vector in a space, under a projection (the fold's). */
export function spaceVector(space: NeighbourSpace, projection: ImageProjection | null, features: Float32Array): Float32Array {
  if (space === 'features') return l2Normalize(features);
  const weight = space === 'projection' ? undefined : Number(space.slice('projection-'.length));
  return l2Normalize(applyImageProjection(projection && weight !== undefined ? { ...projection, weight } : projection, features));
}

interface FoldSet {
  photos: (CvPhoto & { imageVector: Float32Array })[];
  neighbours: Neighbour[][];
  /** The same photos' neighbours in the other spaces prepared. */
  otherNeighbours: Map<NeighbourSpace, Neighbour[][]>;
  /** Per recipe, each photo's word-space vector from the map fitted without the fold. */
  wordVectors: Float32Array[][];
}

export interface PreparedCv {
  folds: { pascal: FoldSet; reference: FoldSet }[];
  recipes: readonly CvRecipe[];
  queries: QueryWord[];
  vectors: WordVectors;
  scorer: TagScorer;
}

/** A trial: a recipe (by index), the transfer's parameters and the ConSE weight. */
export interface CvSetting {
  recipe: number;
  p: TransferParameters;
  conseWeight: number;
  /** Unset: the projection, as served. */
  neighbourSpace?: NeighbourSpace;
}

export interface SetScores {
  tagPrecisionAt5: number;
  tagRecallAt10: number;
  openTextToImage: number;
}

type PascalScores = SetScores & { tagsTop5: number; classTextToImage: number };

export interface CvResult extends CvSetting {
  recipeName: string;
  pascal: PascalScores;
  reference: SetScores;
  /** Each fold's own figures (the means above are over these). */
  folds: { pascal: PascalScores; reference: SetScores }[];
}

/** The training photos' most used caption words that can be tags, as queries relevant to photos whose captions use them. */
export function cvQueryWords(photos: readonly CvPhoto[], tagWords: ReadonlySet<string>, vectors: WordVectors): QueryWord[] {
  const photosUsing = new Map<string, number>();
  for (const photo of photos) for (const word of captionWordSet(photo.captions)) photosUsing.set(word, (photosUsing.get(word) ?? 0) + 1);
  return [...photosUsing]
    .filter(([word]) => tagWords.has(word) && vectors.has(word))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, QUERY_WORDS)
    .map(([word]) => ({ word, forms: [word], vector: l2Normalize(vectors.get(word)!) }));
}

/** Folds, each fold's refitted projection and word maps, and every query photo's nearest captioned photos. */
export function prepareCv(
  pascal: readonly CvPhoto[],
  reference: readonly CvPhoto[],
  recipes: readonly CvRecipe[],
  vectors: WordVectors,
  scorer: TagScorer,
  queries: QueryWord[],
  log: (line: string) => void,
  spaces: readonly NeighbourSpace[] = [],
): PreparedCv {
  const known = (photo: CvPhoto) => captionWordList(photo.captions).some((word) => vectors.has(word));
  const sets = { pascal: pascal.filter(known), reference: reference.filter(known) };
  const foldOf = new Map<string, number>();
  for (const set of [sets.pascal, sets.reference]) set.forEach((photo, i) => foldOf.set(photo.id, i % REFERENCE_CV_FOLDS));
  const all = [...sets.pascal, ...sets.reference];
  log(`reference cross-validation: fitting ${recipes.length} word-model recipes on ${REFERENCE_CV_FOLDS} folds of ${all.length} photos`);
  const lab: LabImage[] = all.map((photo) => ({ ...photo, category: photo.category ?? '' }));
  const foldOfRow = all.map((photo) => foldOf.get(photo.id)!);
  // Each recipe's vectors from the maps of its own pool of fitted photos: every captioned one, or Pascal's alone.
  const outOfFold: Float32Array[][] = new Array(recipes.length);
  for (const pascalOnly of [false, true]) {
    const group = recipes.flatMap((recipe, r) => (Boolean(recipe.pascalOnly) === pascalOnly ? [r] : []));
    if (group.length === 0) continue;
    const fitted = pascalOnly ? (i: number) => i < sets.pascal.length : undefined;
    const vectorsOf = outOfFoldVectors(lab, foldOfRow, group.map((r) => recipes[r]!), vectors, fitted);
    group.forEach((r, g) => (outOfFold[r] = vectorsOf[g]!));
  }
  const row = new Map(all.map((photo, i) => [photo.id, i]));
  const folds = Array.from({ length: REFERENCE_CV_FOLDS }, (_, f) => {
    const pascalRest = sets.pascal.filter((photo) => foldOf.get(photo.id) !== f);
    const projection = fitImageProjection(
      pascalRest.map((photo) => ({ id: photo.id, features: photo.features, category: photo.category! })),
      embeddingVersion(),
    );
    const withImage = (photo: CvPhoto) => ({ ...photo, imageVector: l2Normalize(applyImageProjection(projection, photo.features)) });
    const pool = buildPool(all.filter((photo) => foldOf.get(photo.id) !== f).map(withImage), vectors);
    // The same pool photos searched by their vectors in each other space (the caption side unchanged).
    const features = new Map(all.map((photo) => [photo.id, photo.features]));
    const inSpace = <T extends { id: string; imageVector: Float32Array }>(space: NeighbourSpace, photos: readonly T[]) =>
      photos.map((photo) => ({ ...photo, imageVector: spaceVector(space, projection, features.get(photo.id)!) }));
    const otherPools = new Map(spaces.map((space) => [space, inSpace(space, pool)]));
    const foldSet = (set: readonly CvPhoto[], most = Infinity): FoldSet => {
      const inFold = set.filter((photo) => foldOf.get(photo.id) === f);
      const step = Math.max(1, inFold.length / most);
      const photos = Array.from({ length: Math.min(inFold.length, most) }, (_, i) => withImage(inFold[Math.floor(i * step)]!));
      return {
        photos,
        neighbours: nearestInPool(photos, pool, MAX_NEIGHBOURS),
        otherNeighbours: new Map(spaces.map((space) => [space, nearestInPool(inSpace(space, photos), otherPools.get(space)!, MAX_NEIGHBOURS)])),
        wordVectors: recipes.map((_, r) => photos.map((photo) => outOfFold[r]![row.get(photo.id)!]!)),
      };
    };
    log(`reference cross-validation: fold ${f + 1}/${REFERENCE_CV_FOLDS} ready (${pool.length} captioned photos in its pool)`);
    return { pascal: foldSet(sets.pascal), reference: foldSet(sets.reference, REFERENCE_QUERIES_PER_FOLD) };
  });
  return { folds, recipes, queries, vectors, scorer };
}

/** A fold set's neighbours in a space (unset: the projection). */
function neighboursOf(set: FoldSet, space: NeighbourSpace | undefined): Neighbour[][] {
  if (space === undefined || space === 'projection') return set.neighbours;
  const neighbours = set.otherNeighbours.get(space);
  if (!neighbours) throw new Error(`the cross-validation was prepared without the neighbours by ${space}`);
  return neighbours;
}

/** One set of one fold under a setting: tags and text search as served, scored against the photos' own captions. */
async function scoreSet(cv: PreparedCv, set: FoldSet, s: CvSetting, rules: TextSearchRules, fused: FusedVectors) {
  const byModel = fused.get(s.conseWeight) ?? new Map<Float32Array, Float32Array>();
  fused.set(s.conseWeight, byModel);
  const photos: (TransferPhoto & { category: string | null })[] = set.photos.map((photo, i) => {
    const model = set.wordVectors[s.recipe]![i]!;
    // The same fused vector object for the same inputs, so the scorer's cache holds across trials.
    let wordVector = s.conseWeight === 0 ? model : byModel.get(model);
    if (!wordVector) byModel.set(model, (wordVector = withConse(model, photo.conse, s.conseWeight)));
    return { id: photo.id, captions: photo.captions, imageVector: photo.imageVector, wordVector, category: photo.category };
  });
  const pascal = photos.filter((photo): photo is typeof photo & { category: string } => photo.category !== null);
  const classes = pascal.length === photos.length ? classQueries(pascal, cv.vectors) : [];
  const textQueries = [...cv.queries.map((query) => ({ words: [query.word], vector: query.vector })), ...classes];
  const neighbours = neighboursOf(set, s.neighbourSpace);
  const searched = await searchedTexts(photos, neighbours, textQueries, s.p, rules);
  const tags = photos.map((photo, i) => cv.scorer.tags(photo, neighbours[i]!, s.p));
  const scored = searched.map((photo, i) => ({ ...photo, captionWords: captionWordSet(photo.captions), tags: tags[i]!.map((tag) => tag.text) }));
  const summary = summarise(scored, textToImagePrecision(scored, cv.queries));
  const scores: SetScores = {
    tagPrecisionAt5: summary.tagPrecisionAt5,
    tagRecallAt10: summary.tagRecallAt10,
    openTextToImage: summary.textToImage!.mean,
  };
  if (classes.length === 0) return { scores };
  const withCategory = scored.map((photo, i) => ({ ...photo, category: pascal[i]!.category }));
  return {
    scores,
    tagsTop5: average(tags.map((list, i) => (list.slice(0, 5).some((tag) => namesClass(tag, pascal[i]!.category)) ? 1 : 0))),
    classTextToImage: mean(Object.values(scoreClassQueries(withCategory, cv.vectors))),
  };
}

const meanOf = <T extends object>(rows: readonly T[]): T =>
  Object.fromEntries(Object.keys(rows[0]!).map((key) => [key, average(rows.map((row) => row[key as keyof T] as number))])) as T;

/** Model vectors with ConSE fused in, by ConSE weight and model vector (kept between trials). */
export type FusedVectors = Map<number, Map<Float32Array, Float32Array>>;

/** A setting's figures, each the mean over the folds. */
export async function scoreSetting(cv: PreparedCv, s: CvSetting, rules: TextSearchRules, fused: FusedVectors = new Map()): Promise<CvResult> {
  const pascal: PascalScores[] = [];
  const reference: SetScores[] = [];
  for (const fold of cv.folds) {
    const p = await scoreSet(cv, fold.pascal, s, rules, fused);
    pascal.push({ ...p.scores, tagsTop5: p.tagsTop5!, classTextToImage: p.classTextToImage! });
    reference.push((await scoreSet(cv, fold.reference, s, rules, fused)).scores);
  }
  const folds = pascal.map((scores, f) => ({ pascal: scores, reference: reference[f]! }));
  return { ...s, recipeName: cvRecipeName(cv.recipes[s.recipe]!), pascal: meanOf(pascal), reference: meanOf(reference), folds };
}

/** Tags alone under a setting (no text search: no round trip), each figure the mean over the folds; text figures left 0. */
export function scoreTagSetting(cv: PreparedCv, s: CvSetting): CvResult {
  const scoreTagsOf = (set: FoldSet) => {
    const neighbours = neighboursOf(set, s.neighbourSpace);
    const tags = set.photos.map((photo, i) => cv.scorer.tags({ ...photo, wordVector: set.wordVectors[s.recipe]![i]! }, neighbours[i]!, s.p));
    const scored = set.photos.map((photo, i) => ({
      id: photo.id,
      captions: photo.captions,
      captionWords: captionWordSet(photo.captions),
      vector: photo.imageVector,
      tags: tags[i]!.map((tag) => tag.text),
    }));
    const summary = summarise(scored, null);
    const tagsTop5 = average(tags.map((list, i) => (list.slice(0, 5).some((tag) => namesClass(tag, set.photos[i]!.category ?? '')) ? 1 : 0)));
    return { tagPrecisionAt5: summary.tagPrecisionAt5, tagRecallAt10: summary.tagRecallAt10, openTextToImage: 0, tagsTop5 };
  };
  const pascal = cv.folds.map((fold) => ({ ...scoreTagsOf(fold.pascal), classTextToImage: 0 }));
  const reference = cv.folds.map((fold) => {
    const { tagsTop5: _, ...scores } = scoreTagsOf(fold.reference);
    return scores;
  });
  const folds = pascal.map((scores, f) => ({ pascal: scores, reference: reference[f]! }));
  return { ...s, recipeName: recipeName(cv.recipes[s.recipe]!), pascal: meanOf(pascal), reference: meanOf(reference), folds };
}

/** The mean cosine distance of the 1st and of the k-th neighbour over every fold's query photos of each set, in a space (how sharp the softmax at T is there). */
export function neighbourDistances(cv: PreparedCv, space: NeighbourSpace, k: number) {
  const of = (sets: FoldSet[]) => {
    const lists = sets.flatMap((set) => neighboursOf(set, space));
    return { first: average(lists.map((n) => n[0]!.distance)), kth: average(lists.map((n) => n[Math.min(k, n.length) - 1]!.distance)) };
  };
  return { pascal: of(cv.folds.map((fold) => fold.pascal)), reference: of(cv.folds.map((fold) => fold.reference)) };
}

/** Tags' figure of merit: tag precision@5, the mean of the two sets. */
export const tagMerit = (r: CvResult) => (r.pascal.tagPrecisionAt5 + r.reference.tagPrecisionAt5) / 2;
/** Text search's: open-vocabulary P@10, the mean of the two sets. */
export const textMerit = (r: CvResult) => (r.pascal.openTextToImage + r.reference.openTextToImage) / 2;

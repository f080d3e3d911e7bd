// Choosing the image → word model, the tag vocabulary rule and the hubness
// correction inside Pascal's training split only (the held-out photos and the
// COCO sample are never read here). Two cross-validations of closed-form ridge
// maps, the served recipe family:
//   by image      4 folds of the training photos (every category seen in training)
//   by category   5 groups of 4 whole categories held out: every scored photo is
//                 of a kind its map never saw, as everyday photos are
// Each gives every training photo an out-of-fold word-space vector; the
// measures are those of src/eval/wordModelMetrics.ts and captionMetrics.ts.
import { applyLinearMap, captionIdf, ridgeStatistics, solveRidge, targetVector } from '../embedding/index.js';
import { dot, l2Normalize } from '../lib/vectors.js';
import { captionWordSet, tagPrecision } from './captionMetrics.js';
import {
  mean,
  scoreClassQueries,
  scoreOpenVocabulary,
  scoreTags,
  tagsOf,
  type ScoredImage,
  type VocabularyWord,
  type WordVectors,
} from './wordModelMetrics.js';

export interface LabImage {
  id: string;
  category: string;
  captions: string[];
  features: Float32Array;
}

/**
 * A ridge recipe: target = unit(classWeight × class vector + (1 − classWeight)
 * × caption vector), caption words weighted by their IDF over the fitted photos where `idf`.
 */
export interface RidgeRecipe {
  classWeight: number;
  lambda: number;
  idf?: boolean;
}

export const recipeName = (recipe: RidgeRecipe) =>
  `ridge class ${recipe.classWeight}${recipe.idf ? ', captions by IDF' : ''}, λ ${recipe.lambda}`;

const IMAGE_FOLDS = 4;
const CATEGORY_GROUPS = 5;

/** Fold of each image: by position in id order (4 folds), or by its category's group (5 groups of whole categories). */
export function foldsOf(images: readonly LabImage[], by: 'image' | 'category'): number[] {
  if (by === 'image') {
    const order = images.map((image, i) => ({ id: image.id, i })).sort((a, b) => (a.id < b.id ? -1 : 1));
    const fold = new Array<number>(images.length);
    order.forEach(({ i }, position) => (fold[i] = position % IMAGE_FOLDS));
    return fold;
  }
  const categories = [...new Set(images.map((image) => image.category))].sort();
  return images.map((image) => categories.indexOf(image.category) % CATEGORY_GROUPS);
}

const targetOf = (image: LabImage, recipe: RidgeRecipe, vectors: WordVectors, idf?: ReadonlyMap<string, number>) =>
  recipe.classWeight >= 1
    ? targetVector(image, 'class', vectors)
    : recipe.classWeight <= 0
      ? targetVector(image, 'caption', vectors, undefined, idf)
      : targetVector(image, 'class+caption', vectors, recipe.classWeight, idf);

/**
 * For each recipe, every image's unit word-space vector from the map fitted
 * without its fold. Per fold, the recipes share one Gram matrix (their
 * distinct targets side by side are one multi-output regression) and each
 * ridge strength one Cholesky factor. `fitted`: the images a map may be
 * fitted on at all (default: every one); the others are only scored.
 */
export function outOfFoldVectors(
  images: readonly LabImage[],
  folds: readonly number[],
  recipes: readonly RidgeRecipe[],
  vectors: WordVectors,
  fitted: (i: number) => boolean = () => true,
): Float32Array[][] {
  const out = recipes.map(() => new Array<Float32Array>(images.length));
  const targetKey = (recipe: RidgeRecipe) => `${recipe.classWeight}/${!!recipe.idf}`;
  const targets = [...new Map(recipes.map((recipe) => [targetKey(recipe), recipe])).values()];
  for (const fold of new Set(folds)) {
    const train = images.flatMap((_, i) => (folds[i] === fold || !fitted(i) ? [] : [i]));
    const idf = captionIdf(train.map((i) => images[i]!));
    const joinedTargets = train.map((i) => {
      const parts = targets.map((recipe) => targetOf(images[i]!, recipe, vectors, recipe.idf ? idf : undefined));
      const joined = new Float32Array(parts.length * parts[0]!.length);
      parts.forEach((part, p) => joined.set(part, p * part.length));
      return joined;
    });
    const stats = ridgeStatistics(train.map((i) => images[i]!.features), joinedTargets);
    const width = stats.outputs / targets.length;
    const factors = new Map<number, Float64Array>();
    recipes.forEach((recipe, r) => {
      const column = targets.findIndex((target) => targetKey(target) === targetKey(recipe)) * width;
      const map = solveRidge(stats, recipe.lambda, column, column + width, factors);
      images.forEach((image, i) => {
        if (folds[i] === fold) out[r]![i] = l2Normalize(applyLinearMap(map, image.features));
      });
    });
  }
  return out;
}

export interface SelectionScores {
  /** Class word among the first 5 tags. */
  tagsTop5: number;
  /** Class names as text → image P@10. */
  classP10: number;
  /** The open-vocabulary proxy: 18 caption words, P@10. */
  openP10: number;
  /** Tag precision@5 against the captions. */
  tagP5: number;
}

/** Subtracted from cosines: from each word's when ranking tags, from each photo's when ranking photos for a word. */
export interface Penalties {
  word?: ArrayLike<number>;
  photo?: ArrayLike<number>;
}

export function scoreVectors(
  images: readonly LabImage[],
  wordSpace: readonly Float32Array[],
  vocabulary: readonly VocabularyWord[],
  vectors: WordVectors,
  penalties: Penalties = {},
): SelectionScores {
  const scored: ScoredImage[] = images.map((image, i) => ({ ...image, vector: wordSpace[i]! }));
  const open = Object.values(scoreOpenVocabulary(scored, vectors, undefined, penalties.photo));
  return {
    tagsTop5: scoreTags(scored, vocabulary, penalties.word).top5,
    classP10: mean(Object.values(scoreClassQueries(scored, vectors, penalties.photo))),
    openP10: mean(open.map((score) => score.precision)),
    tagP5: tagPrecisionOf(images, wordSpace, vocabulary, penalties.word),
  };
}

/** Tag precision@5 of nearest-word tags (plural forms folded) against the photos' captions. */
export function tagPrecisionOf(
  photos: readonly { captions: readonly string[] }[],
  wordSpace: readonly Float32Array[],
  vocabulary: readonly VocabularyWord[],
  wordPenalty?: ArrayLike<number>,
): number {
  const tags = wordSpace.map((vector) => tagsOf(vector, vocabulary, 5, wordPenalty).map((tag) => [tag]));
  return tagPrecision(tags, photos.map((photo) => captionWordSet(photo.captions)));
}

// ---- Hubness: cross-domain similarity local scaling (CSLS, Lample et al. 2018) ----
// A hub (a word near most photos, a photo near most words) is pushed down by
// β × its mean cosine to its k nearest neighbours on the other side.

/** Mean cosine of each of `items` to its `k` nearest `others` (all unit vectors). */
export function hubness(items: readonly Float32Array[], others: readonly Float32Array[], k: number): Float32Array {
  return Float32Array.from(items, (item) => {
    const cosines = others.map((other) => dot(item, other)).sort((a, b) => b - a);
    return mean(cosines.slice(0, k));
  });
}

/** The measures with tags ranked by cosine − β × word hubness and photos by cosine − β × photo hubness. */
export function scoreWithHubness(
  images: readonly LabImage[],
  wordSpace: readonly Float32Array[],
  vocabulary: readonly VocabularyWord[],
  vectors: WordVectors,
  beta: number,
  k: number,
): SelectionScores {
  const words = vocabulary.map((word) => word.vector);
  return scoreVectors(images, wordSpace, vocabulary, vectors, {
    word: hubness(words, wordSpace, k).map((h) => beta * h),
    photo: hubness(wordSpace, words, k).map((h) => beta * h),
  });
}

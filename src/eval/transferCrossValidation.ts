// The cross-validation inside Pascal's training split that chose the caption
// transfer's k, T and the two fusion weights (each fold's image projection and
// image → word model refitted without the fold), scored with transfer.ts.
import {
  applyImageProjection,
  embeddingVersion,
  fitImageProjection,
  TRANSFER,
  type TransferParameters,
} from '../embedding/index.js';
import { l2Normalize } from '../lib/vectors.js';
import { average } from './captionMetrics.js';
import {
  buildPool,
  nearestInPool,
  scorePascalTags,
  scorePascalText,
  TagScorer,
  type PascalPhoto,
  type PascalTextScores,
  type TextSearchRules,
} from './transfer.js';
import type { WordVectors } from './wordModelMetrics.js';

/** The mean of each figure over the folds. */
function averages<T extends object>(scores: readonly T[]): T {
  const keys = Object.keys(scores[0]!) as (keyof T)[];
  return Object.fromEntries(keys.map((key) => [key, average(scores.map((s) => s[key] as number))])) as T;
}

export const CV_FOLDS = 5;
export const CV_GRID = {
  neighbours: [5, 10, 20, 40],
  temperature: [0.02, 0.05, 0.1, 0.2],
  tagWeight: [0.3, 0.5, 0.7, 0.9],
  textWeight: [0.5, 1, 2, 4, 8],
  textVoteWeight: [0, 0.5, 1, 2],
};
/** Fits the image → word model on some training photos; returns its map from features to a unit word-space vector. */
export type FitWordModel = (rows: readonly TrainingRow[]) => (features: Float32Array) => Float32Array;

export interface CvTrial {
  neighbours: number;
  temperature: number;
  tagWeight: number;
  textWeight: number;
  textVoteWeight: number;
  tagPrecisionAt5: number;
  tagsTop1: number;
  tagsTop5: number;
  classTextToImage: number;
  openVocabulary: number;
}

export interface TrainingRow extends PascalPhoto {
  features: Float32Array;
}

/**
 * Five folds of the training split: each fold's photos are tagged and
 * searched with the other four as the captioned pool, and with the image
 * projection and the image → word model refitted on those four. Tags maximise precision@5
 * against the captions while keeping the model's class tags top-5; text
 * search maximises open-vocabulary P@10 while keeping its class P@10; (k, T)
 * maximise the sum of both at their best weights.
 */
export async function crossValidate(
  rows: readonly TrainingRow[],
  scorer: TagScorer,
  vectors: WordVectors,
  fitWordModel: FitWordModel,
  rules: TextSearchRules,
): Promise<{ trials: CvTrial[]; modelOnly: CvTrial; chosen: TransferParameters }> {
  const folds = Array.from({ length: CV_FOLDS }, (_, f) => rows.filter((_, i) => i % CV_FOLDS === f));
  // Not searched here (the reference set's cross-validation chose it): the served one.
  const { tagShareExponent, tagShowsCaptionWord } = TRANSFER;
  const maxK = Math.max(...CV_GRID.neighbours);
  const prepared = folds.map((fold, f) => {
    const rest = rows.filter((_, i) => i % CV_FOLDS !== f);
    const wordVector = fitWordModel(rest);
    const projection = fitImageProjection(rest, embeddingVersion());
    const imageVector = (row: TrainingRow) => l2Normalize(applyImageProjection(projection, row.features));
    const photos = fold.map((row) => ({ ...row, imageVector: imageVector(row), wordVector: wordVector(row.features) }));
    const pool = buildPool(rest.map((row) => ({ ...row, imageVector: imageVector(row) })), vectors);
    return { photos, neighbours: nearestInPool(photos, pool, maxK) };
  });
  const textScores = (p: TransferParameters) =>
    Promise.all(prepared.map(({ photos, neighbours: near }) => scorePascalText(photos, near, vectors, p, rules)));
  const trial = async (p: TransferParameters): Promise<CvTrial> => {
    const tags = prepared.map(({ photos, neighbours: near }) => scorePascalTags(photos, near, scorer, p));
    return { ...p, ...averages(tags), ...averages(await textScores(p)) } as CvTrial;
  };
  const modelOnly = await trial({ neighbours: 0, temperature: 0, tagWeight: 0, tagShareExponent, tagShowsCaptionWord, textWeight: 0, textVoteWeight: 0 });
  const trials: CvTrial[] = [];
  for (const neighbours of CV_GRID.neighbours) {
    for (const temperature of CV_GRID.temperature) {
      const tagTrials = CV_GRID.tagWeight.map((tagWeight) => {
        const p = { neighbours, temperature, tagWeight, tagShareExponent, tagShowsCaptionWord, textWeight: 0, textVoteWeight: 0 };
        return prepared.map(({ photos, neighbours: near }) => scorePascalTags(photos, near, scorer, p));
      });
      const textGrid = CV_GRID.textWeight.flatMap((textWeight) => CV_GRID.textVoteWeight.map((textVoteWeight) => ({ textWeight, textVoteWeight })));
      const textTrials: PascalTextScores[][] = [];
      for (const weights of textGrid) textTrials.push(await textScores({ neighbours, temperature, tagWeight: 0, tagShareExponent, tagShowsCaptionWord, ...weights }));
      CV_GRID.tagWeight.forEach((tagWeight, i) =>
        textGrid.forEach((weights, j) =>
          trials.push({
            neighbours,
            temperature,
            tagWeight,
            ...weights,
            ...averages(tagTrials[i]!),
            ...averages(textTrials[j]!),
          }),
        ),
      );
    }
  }
  // A weight that loses what the model alone does scores nothing.
  const tagScore = (t: CvTrial) => (t.tagsTop5 >= modelOnly.tagsTop5 ? t.tagPrecisionAt5 : 0);
  const textScore = (t: CvTrial) => (t.classTextToImage >= modelOnly.classTextToImage ? t.openVocabulary : 0);
  const bestOf = <T>(items: readonly T[], score: (item: T) => number) => items.reduce((a, b) => (score(b) > score(a) ? b : a));
  const pairs = CV_GRID.neighbours.flatMap((k) => CV_GRID.temperature.map((temperature) => ({ k, temperature })));
  const forPair = (pair: { k: number; temperature: number }) =>
    trials.filter((t) => t.neighbours === pair.k && t.temperature === pair.temperature);
  const pairScore = (pair: { k: number; temperature: number }) =>
    Math.max(...forPair(pair).map(tagScore)) + Math.max(...forPair(pair).map(textScore));
  const pair = bestOf(pairs, pairScore);
  const tagBest = bestOf(forPair(pair), tagScore);
  const textBest = bestOf(forPair(pair), textScore);
  return {
    trials,
    modelOnly,
    chosen: {
      neighbours: pair.k,
      temperature: pair.temperature,
      tagWeight: tagBest.tagWeight,
      tagShareExponent,
      tagShowsCaptionWord,
      textWeight: textBest.textWeight,
      textVoteWeight: textBest.textVoteWeight,
    },
  };
}

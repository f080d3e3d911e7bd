// Text → image P@10 of each imagesForText mode, through the product's own
// search (its checks, its ranking options and the SQL of the store), on a
// chosen set of stored images. Small and
// self-contained so any evaluation (Pascal's split, the COCO sample) can call it.
// KEYWORD reads the searched photos' captions; where relevance is judged from
// those same captions, its figure measures the product, not the model.
import { captionWordCounts, categoryWords } from '../embedding/captions.js';
import { lemmaKey } from '../embedding/tagVocabulary.js';
import type { EvalTextSearchRepository } from '../repositories/evalTextSearchRepository.js';
import { checkTextQuery, textSearchOptions, type TextSearchMode } from '../services/imageTextService.js';
import { mean, PRECISION_AT } from './wordModelMetrics.js';

export const TEXT_SEARCH_MODES: readonly TextSearchMode[] = ['VECTOR', 'KEYWORD', 'HYBRID'];

/** imagesForText as an evaluation asks it: the ids of the first images for a text, among `withinIds` alone. */
export interface TextSearcher {
  search(query: { text: string; first: number; mode: TextSearchMode }, withinIds: readonly string[], rrfK?: number): Promise<string[]>;
}

/** The served search (its checks, its options, its statement) over a store's images `withinIds`. */
export function storeSearcher(repository: EvalTextSearchRepository, efSearch: number): TextSearcher {
  return {
    async search(args, withinIds, rrfK) {
      const query = checkTextQuery(args);
      const options = textSearchOptions(query, efSearch, rrfK);
      const rows = await repository.searchImagesWithin(query.tokens, query.text, options, withinIds);
      return rows.map((row) => row.id);
    },
  };
}

export interface EvaluatedImage {
  id: string;
  category: string | null;
  /** The captions relevance is judged by (whether or not the store holds them). */
  captions: readonly string[];
}

export interface TextQuery {
  text: string;
  relevant: (image: EvaluatedImage) => boolean;
}

/** Each class name (both words of a two-word one); relevant: the image's category. */
export function classNameQueries(images: readonly EvaluatedImage[]): TextQuery[] {
  const categories = [...new Set(images.flatMap((image) => (image.category ? [image.category] : [])))].sort();
  return categories.map((category) => ({
    text: categoryWords(category).join(' '),
    relevant: (image) => image.category === category,
  }));
}

/** Single words; relevant: the word (or its plural / singular) is in the image's captions. */
export function captionWordQueries(words: readonly string[]): TextQuery[] {
  const lemmas = new Map<EvaluatedImage, Set<string>>();
  const lemmasOf = (image: EvaluatedImage) => {
    let set = lemmas.get(image);
    if (!set) {
      set = new Set([...captionWordCounts(image.captions).keys()].map(lemmaKey));
      lemmas.set(image, set);
    }
    return set;
  };
  return words.map((word) => ({ text: word, relevant: (image) => lemmasOf(image).has(lemmaKey(word)) }));
}

/** Mean P@10 of `queries` in `mode`, searching only `images`; a short answer counts its missing places as misses. */
export async function precisionAt10(
  searcher: TextSearcher,
  images: readonly EvaluatedImage[],
  queries: readonly TextQuery[],
  mode: TextSearchMode,
  rrfK?: number,
): Promise<number> {
  const byId = new Map(images.map((image) => [image.id, image]));
  const withinIds = [...byId.keys()];
  const scores: number[] = [];
  for (const query of queries) {
    const ids = await searcher.search({ text: query.text, first: PRECISION_AT, mode }, withinIds, rrfK);
    const hits = ids.filter((id) => {
      const image = byId.get(id);
      return image !== undefined && query.relevant(image);
    }).length;
    scores.push(hits / PRECISION_AT);
  }
  return mean(scores);
}

export type ModeScores = Record<TextSearchMode, number>;

/** P@10 for each mode, for one set of queries. */
export async function scoreModes(
  searcher: TextSearcher,
  images: readonly EvaluatedImage[],
  queries: readonly TextQuery[],
): Promise<ModeScores> {
  const scores = {} as ModeScores;
  for (const mode of TEXT_SEARCH_MODES) scores[mode] = await precisionAt10(searcher, images, queries, mode);
  return scores;
}

export interface RrfTrial {
  rrfK: number;
  /** HYBRID P@10 per query set, and their mean (the criterion). */
  byQuerySet: Record<string, number>;
  mean: number;
}

/** HYBRID P@10 for each fusion constant: the measurement that chooses RRF_K (on training images only). */
export async function sweepRrfConstant(
  searcher: TextSearcher,
  images: readonly EvaluatedImage[],
  querySets: Record<string, readonly TextQuery[]>,
  constants: readonly number[],
): Promise<RrfTrial[]> {
  const trials: RrfTrial[] = [];
  for (const rrfK of constants) {
    const byQuerySet: Record<string, number> = {};
    for (const [name, queries] of Object.entries(querySets)) {
      byQuerySet[name] = await precisionAt10(searcher, images, queries, 'HYBRID', rrfK);
    }
    trials.push({ rrfK, byQuerySet, mean: mean(Object.values(byQuerySet)) });
  }
  return trials;
}

/** The fusion constants tried on the training split. */
export const RRF_CONSTANTS = [1, 3, 10, 20, 30, 60, 100, 200, 500] as const;

export interface SplitTextSearchResults {
  /** P@10 per mode on the held-out images: class names (relevant: category) and caption words (relevant: captions). */
  heldOut: { classNames: ModeScores; captionWords: ModeScores };
  /** HYBRID P@10 per fusion constant, training images only: how RRF_K was chosen. */
  rrfOnTraining: RrfTrial[];
}

/**
 * Pascal's split: the fusion constant measured on the training images, every
 * mode reported on the held-out ones (each searched alone, as the model's own
 * figures are).
 */
export async function evaluateTextSearchModes(
  searcher: TextSearcher,
  training: readonly EvaluatedImage[],
  heldOut: readonly EvaluatedImage[],
  captionWords: readonly string[],
): Promise<SplitTextSearchResults> {
  const querySets = (images: readonly EvaluatedImage[]) => ({
    classNames: classNameQueries(images),
    captionWords: captionWordQueries(captionWords),
  });
  const rrfOnTraining = await sweepRrfConstant(searcher, training, querySets(training), RRF_CONSTANTS);
  const held = querySets(heldOut);
  return {
    heldOut: {
      classNames: await scoreModes(searcher, heldOut, held.classNames),
      captionWords: await scoreModes(searcher, heldOut, held.captionWords),
    },
    rrfOnTraining,
  };
}

/** Summary lines, labelled so that KEYWORD's caption-word figure is not read as the model's. */
export function textSearchSummaryRows(results: SplitTextSearchResults): [string, number][] {
  const { classNames, captionWords } = results.heldOut;
  return TEXT_SEARCH_MODES.flatMap((mode): [string, number][] => [
    [`text→image P@10 ${mode}, 20 class names (held out)`, classNames[mode]],
    [
      `text→image P@10 ${mode}, caption words (held out${mode === 'VECTOR' ? '' : '; reads the judged captions: product, not model'})`,
      captionWords[mode],
    ],
  ]);
}

// The steering measures of imagesForText on Pascal's split: the relevance
// cut (cut: AUTO) and "not this" (-word), each rule chosen on the training
// images and reported on the held-out ones, through the served statement.
import type { EvalTextSearchRepository } from '../repositories/evalTextSearchRepository.js';
import type { TextMatchRow } from '../repositories/textSearchRepository.js';
import { excludeOption } from '../services/excludedWords.js';
import { checkTextQuery, textSearchOptions, type TextSearchMode } from '../services/imageTextService.js';
import { cutScore } from '../services/matchScores.js';
import { keptBeforeDrop } from '../services/relevanceCut.js';
import { mean } from './wordModelMetrics.js';
import type { ReportTable } from './evalReport.js';
import { classNameQueries, TEXT_SEARCH_MODES, type EvaluatedImage, type TextQuery } from './textSearchModes.js';

/** How deep the cut is measured: the list a page of `first` = 100 would show. */
const CUT_LIST = 100;
export const CUT_RATIOS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99] as const;

export interface CutTrial {
  ratio: number;
  /** Mean share of the kept matches that are relevant. */
  precision: number;
  /** Mean number of matches kept (of CUT_LIST). */
  kept: number;
  /** Mean share of the list's relevant matches that are kept. */
  recall: number;
  /** The criterion: mean F1 of kept against the list's relevant matches. */
  f1: number;
}

export interface CutResults {
  mode: TextSearchMode;
  /** Every ratio on the training images; the chosen one has the best F1. */
  training: CutTrial[];
  chosenRatio: number;
  /** The chosen ratio on the held-out images, and the list uncut (cut: NONE) for comparison. */
  heldOut: CutTrial;
  heldOutUncut: { precision: number; kept: number };
}

type Search = (text: string, images: readonly EvaluatedImage[], exclude?: { words: string[]; minScore: number }) => Promise<TextMatchRow[]>;

function searchWithin(repository: EvalTextSearchRepository, efSearch: number, mode: TextSearchMode, first: number): Search {
  return async (text, images, exclude) => {
    const query = checkTextQuery({ text, first, mode });
    const options = textSearchOptions(query, efSearch);
    if (exclude) options.exclude = excludeOption(exclude.words, exclude.minScore);
    return repository.searchImagesWithin(query.tokens, query.text, options, images.map((image) => image.id));
  };
}

function cutTrial(lists: readonly { relevant: boolean[]; scores: number[] }[], ratio: number): CutTrial {
  const per = lists.map(({ relevant, scores }) => {
    const kept = keptBeforeDrop(scores, ratio);
    const hits = relevant.slice(0, kept).filter(Boolean).length;
    const all = relevant.filter(Boolean).length;
    const precision = kept > 0 ? hits / kept : 0;
    const recall = all > 0 ? hits / all : 0;
    return { precision, kept, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
  });
  return {
    ratio,
    precision: mean(per.map((p) => p.precision)),
    kept: mean(per.map((p) => p.kept)),
    recall: mean(per.map((p) => p.recall)),
    f1: mean(per.map((p) => p.f1)),
  };
}

async function cutLists(search: Search, mode: TextSearchMode, images: readonly EvaluatedImage[], queries: readonly TextQuery[]) {
  const byId = new Map(images.map((image) => [image.id, image]));
  const lists = [];
  for (const query of queries) {
    const rows = await search(query.text, images);
    lists.push({ relevant: rows.map((row) => query.relevant(byId.get(row.id)!)), scores: rows.map((row) => cutScore(row, mode)) });
  }
  return lists;
}

/** The cut's ratio per mode: the best mean F1 on the training images (class-name queries), reported on the held-out ones. */
export async function evaluateCut(
  repository: EvalTextSearchRepository,
  efSearch: number,
  training: readonly EvaluatedImage[],
  heldOut: readonly EvaluatedImage[],
): Promise<CutResults[]> {
  const results: CutResults[] = [];
  for (const mode of TEXT_SEARCH_MODES) {
    const search = searchWithin(repository, efSearch, mode, CUT_LIST);
    const trainingLists = await cutLists(search, mode, training, classNameQueries(training));
    const trials = CUT_RATIOS.map((ratio) => cutTrial(trainingLists, ratio));
    const best = trials.reduce((a, b) => (b.f1 > a.f1 ? b : a));
    const heldOutLists = await cutLists(search, mode, heldOut, classNameQueries(heldOut));
    const uncut = cutTrial(heldOutLists, 0);
    results.push({
      mode,
      training: trials,
      chosenRatio: best.ratio,
      heldOut: cutTrial(heldOutLists, best.ratio),
      heldOutUncut: { precision: uncut.precision, kept: uncut.kept },
    });
  }
  return results;
}

/** "class -word": the photos of the class, those whose captions use any of `on` are the ones to drop. */
export interface ExclusionCase {
  text: string;
  category: string;
  excluded: string;
  on: readonly string[];
}

export const EXCLUSION_CASES: readonly ExclusionCase[] = [
  { text: 'dog', category: 'dog', excluded: 'sofa', on: ['sofa', 'sofas', 'couch', 'couches'] },
  { text: 'cat', category: 'cat', excluded: 'sofa', on: ['sofa', 'sofas', 'couch', 'couches'] },
  { text: 'person', category: 'person', excluded: 'bicycle', on: ['bicycle', 'bicycles', 'bike', 'bikes'] },
  { text: 'person', category: 'person', excluded: 'horse', on: ['horse', 'horses', 'pony'] },
  { text: 'cat', category: 'cat', excluded: 'chair', on: ['chair', 'chairs'] },
  { text: 'dog', category: 'dog', excluded: 'grass', on: ['grass', 'lawn', 'field'] },
];
export const EXCLUDE_SCORES = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2] as const;

export interface ExclusionTrial {
  minScore: number;
  /** Of the class's photos that `-word` should drop (in the plain list), the share dropped. */
  dropped: number;
  /** Of the class's other photos in the plain list, the share kept. */
  kept: number;
  /** The criterion: their mean. */
  balanced: number;
}

export interface ExclusionResults {
  training: ExclusionTrial[];
  chosenMinScore: number;
  heldOut: ExclusionTrial;
  /** "dog -sofa" alone on the held-out images, at the chosen score. */
  dogSofa: ExclusionTrial & { dogsOnSofas: number; otherDogs: number };
}

const WORD = /[a-z]+/g;
const usesAny = (image: EvaluatedImage, words: readonly string[]) =>
  image.captions.some((caption) => (caption.toLowerCase().match(WORD) ?? []).some((word) => words.includes(word)));

async function exclusionCounts(search: Search, images: readonly EvaluatedImage[], cases: readonly ExclusionCase[], minScore: number) {
  const byId = new Map(images.map((image) => [image.id, image]));
  const counts = [];
  for (const c of cases) {
    const of = (rows: TextMatchRow[]) => rows.map((row) => byId.get(row.id)!).filter((image) => image.category === c.category);
    const plain = of(await search(c.text, images));
    const after = new Set(of(await search(c.text, images, { words: [c.excluded], minScore })).map((image) => image.id));
    const on = plain.filter((image) => usesAny(image, c.on));
    const off = plain.filter((image) => !usesAny(image, c.on));
    counts.push({ on: on.length, dropped: on.filter((i) => !after.has(i.id)).length, off: off.length, kept: off.filter((i) => after.has(i.id)).length });
  }
  return counts;
}

function exclusionTrial(counts: { on: number; dropped: number; off: number; kept: number }[], minScore: number): ExclusionTrial {
  const withOn = counts.filter((c) => c.on > 0);
  const dropped = mean(withOn.map((c) => c.dropped / c.on));
  const kept = mean(counts.filter((c) => c.off > 0).map((c) => c.kept / c.off));
  return { minScore, dropped, kept, balanced: (dropped + kept) / 2 };
}

/** The exclusion score: the best balanced mean on the training images, reported on the held-out ones (HYBRID, the class's list of 100). */
export async function evaluateExclusion(
  repository: EvalTextSearchRepository,
  efSearch: number,
  training: readonly EvaluatedImage[],
  heldOut: readonly EvaluatedImage[],
): Promise<ExclusionResults> {
  const search = searchWithin(repository, efSearch, 'HYBRID', CUT_LIST);
  const trials = [];
  for (const minScore of EXCLUDE_SCORES) trials.push(exclusionTrial(await exclusionCounts(search, training, EXCLUSION_CASES, minScore), minScore));
  const best = trials.reduce((a, b) => (b.balanced > a.balanced ? b : a));
  const heldOutTrial = exclusionTrial(await exclusionCounts(search, heldOut, EXCLUSION_CASES, best.minScore), best.minScore);
  const [dog] = await exclusionCounts(search, heldOut, [EXCLUSION_CASES[0]!], best.minScore);
  return {
    training: trials,
    chosenMinScore: best.minScore,
    heldOut: heldOutTrial,
    dogSofa: { ...exclusionTrial([dog!], best.minScore), dogsOnSofas: dog!.on, otherDogs: dog!.off },
  };
}

/** The summary's lines of the steering measures (held out). */
export function steeringSummaryRows(cut: readonly CutResults[], exclusion: ExclusionResults): [string, number][] {
  return [
    ...cut.flatMap((c): [string, number][] => [
      [`cut AUTO, ${c.mode}: precision of what is kept (held out; NONE: ${c.heldOutUncut.precision.toFixed(3)})`, c.heldOut.precision],
      [`cut AUTO, ${c.mode}: matches kept of ${CUT_LIST} (held out)`, c.heldOut.kept],
      [`cut AUTO, ${c.mode}: share of the list's relevant matches kept (held out)`, c.heldOut.recall],
    ]),
    ['"dog -sofa": share of dogs on sofas or couches dropped (held out)', exclusion.dogSofa.dropped],
    ['"dog -sofa": share of the other dogs kept (held out)', exclusion.dogSofa.kept],
    [`"class -word", ${EXCLUSION_CASES.length} cases: dropped / kept (held out, mean)`, exclusion.heldOut.balanced],
  ];
}

/** The report's tables: how each rule was chosen on the training images. */
export function steeringTables(cut: readonly CutResults[], exclusion: ExclusionResults): ReportTable[] {
  return [
    {
      title: 'The relevance cut: its ratio (training images only)',
      note: `imagesForText lists of ${CUT_LIST} for each class name, cut at the first score below ratio × the one before; relevant = the class. The product uses the best F1 per mode (chosen: ${cut.map((c) => `${c.mode} ${c.chosenRatio}`).join(', ')}).`,
      header: ['mode', 'ratio', 'precision kept', 'kept', 'recall', 'F1'],
      rows: cut.flatMap((c) => c.training.map((t) => [c.mode, String(t.ratio), t.precision, t.kept, t.recall, t.f1])),
    },
    {
      title: '"Not this": the exclusion score (training images only)',
      note: `HYBRID lists of ${CUT_LIST}; a photo of the class is one to drop when its captions use the excluded word or a synonym (${EXCLUSION_CASES.map((c) => `${c.text} -${c.excluded}`).join(', ')}). Chosen: ${exclusion.chosenMinScore}.`,
      header: ['score', 'dropped', 'kept', 'mean'],
      rows: exclusion.training.map((t) => [String(t.minScore), t.dropped, t.kept, t.balanced]),
    },
  ];
}

// The choices part of `npm run eval` (issue 17): the image → word recipe by
// open-vocabulary measures (cross-validation by image and by whole held-out
// categories, inside the training split), the tag vocabulary rule, and the
// hubness correction (CSLS). Choices read the training split only; the
// held-out Pascal photos and the COCO sample are scored afterwards, for the
// report, and never choose anything.
import type { App } from '../app.js';
import { HELD_OUT_PER_CATEGORY, splitItems } from '../dataset/split.js';
import { loadWordNet } from '../dataset/wordnet.js';
import {
  captionWordCounts,
  categoryWords,
  DEFAULT_TAG_VOCABULARY_RULE,
  selectTagWords,
  type Lexicon,
  TAG_VOCABULARY_RULES,
} from '../embedding/index.js';
import { l2Normalize } from '../lib/vectors.js';
import { OPEN_VOCABULARY_QUERIES, scoreTags, type VocabularyWord } from '../eval/wordModelMetrics.js';
import type { ReportTable } from '../eval/evalReport.js';
import {
  foldsOf,
  outOfFoldVectors,
  recipeName,
  scoreVectors,
  scoreWithHubness,
  tagPrecisionOf,
  type LabImage,
  type RidgeRecipe,
  type SelectionScores,
} from '../eval/wordModelSelection.js';

/** The recipes compared: class weight (1 = class vector only, 0 = caption words only), ridge strength, caption words by IDF. */
const RECIPE_GRID: RidgeRecipe[] = [
  ...[1, 0.75, 0.5, 0.25].map((classWeight) => ({ classWeight, lambda: 1 })),
  ...[0.3, 1, 3].map((lambda) => ({ classWeight: 0, lambda })),
  ...[1, 3].map((lambda) => ({ classWeight: 0, lambda, idf: true })),
  { classWeight: 0.25, lambda: 1, idf: true },
];
const VOCABULARY_SIZES = [2_000, 5_000, 10_000];
const HUBNESS_BETAS = [0, 0.1, 0.25, 0.5];
const HUBNESS_K = 10;

export interface PhotoSet {
  name: string;
  photos: readonly { captions: readonly string[] }[];
  vectors: readonly Float32Array[];
}

export interface WordModelChoices {
  recipes: { recipe: string; byImage: SelectionScores; byCategory: SelectionScores }[];
  vocabularyRules: { rule: string; size: number; words: number; byImage: { tagP5: number; top5: number }; byCategory: { tagP5: number }; reportOnly: Record<string, number> }[];
  hubness: { beta: number; byImage: SelectionScores; byCategory: SelectionScores }[];
}

async function vocabularyOf(
  app: App,
  lexicon: Lexicon,
  words: readonly string[],
  classWords: readonly string[],
  rule: string,
  size: number,
) {
  const chosen = selectTagWords(words, lexicon, TAG_VOCABULARY_RULES[rule]!, size, classWords);
  const vectors = await app.repositories.words.findVectors(chosen);
  return chosen.flatMap((text): VocabularyWord[] => {
    const vector = vectors.get(text);
    return vector ? [{ text, vector: l2Normalize(vector) }] : [];
  });
}

/**
 * `served`: the recipe the store serves (its out-of-fold vectors judge the
 * vocabulary rules and the hubness correction); `reportSets`: photo sets
 * (held-out Pascal, COCO) whose tag precision is shown beside each rule.
 */
export async function chooseWordModel(
  app: App,
  served: RidgeRecipe,
  reportSets: readonly PhotoSet[],
  log: (line: string) => void,
): Promise<WordModelChoices> {
  const rows = await app.repositories.wordSpace.trainingImages();
  const images: LabImage[] = splitItems(rows.map((row) => ({ ...row, name: row.id })), HELD_OUT_PER_CATEGORY).train;
  const classWords = [...new Set(images.flatMap((image) => categoryWords(image.category)))];
  const needed = new Set([...classWords, ...OPEN_VOCABULARY_QUERIES]);
  for (const image of images) for (const word of captionWordCounts(image.captions).keys()) needed.add(word);
  const vectors = await app.repositories.words.findVectors([...needed]);
  const byImage = foldsOf(images, 'image');
  const byCategory = foldsOf(images, 'category');
  const allWords = await app.repositories.words.alphabeticWords();
  const lexicon = loadWordNet();
  const vocabulary = await vocabularyOf(app, lexicon, allWords, classWords, DEFAULT_TAG_VOCABULARY_RULE, 10_000);

  const started = Date.now();
  const oofByImage = outOfFoldVectors(images, byImage, [...RECIPE_GRID, served], vectors);
  const oofByCategory = outOfFoldVectors(images, byCategory, [...RECIPE_GRID, served], vectors);
  log(`${RECIPE_GRID.length + 1} recipes fitted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const recipes = RECIPE_GRID.map((recipe, r) => ({
    recipe: recipeName(recipe),
    byImage: scoreVectors(images, oofByImage[r]!, vocabulary, vectors),
    byCategory: scoreVectors(images, oofByCategory[r]!, vocabulary, vectors),
  }));
  const servedByImage = oofByImage[RECIPE_GRID.length]!;
  const servedByCategory = oofByCategory[RECIPE_GRID.length]!;
  const vocabularyRules: WordModelChoices['vocabularyRules'] = [];
  const trials = [
    ...Object.keys(TAG_VOCABULARY_RULES).map((rule) => ({ rule, size: 10_000 })),
    ...VOCABULARY_SIZES.filter((size) => size !== 10_000).map((size) => ({ rule: DEFAULT_TAG_VOCABULARY_RULE, size })),
  ];
  const scored = images.map((image, i) => ({ ...image, vector: servedByImage[i]! }));
  for (const { rule, size } of trials) {
    const words = await vocabularyOf(app, lexicon, allWords, classWords, rule, size);
    vocabularyRules.push({
      rule,
      size,
      words: words.length,
      byImage: { tagP5: tagPrecisionOf(images, servedByImage, words), top5: scoreTags(scored, words).top5 },
      byCategory: { tagP5: tagPrecisionOf(images, servedByCategory, words) },
      reportOnly: Object.fromEntries(reportSets.map((set) => [set.name, tagPrecisionOf(set.photos, set.vectors, words)])),
    });
    log(`vocabulary ${rule} ${size}: ${words.length} words, tag P@5 ${vocabularyRules.at(-1)!.byImage.tagP5.toFixed(3)}`);
  }

  const hubness = HUBNESS_BETAS.map((beta) => ({
    beta,
    byImage: scoreWithHubness(images, servedByImage, vocabulary, vectors, beta, HUBNESS_K),
    byCategory: scoreWithHubness(images, servedByCategory, vocabulary, vectors, beta, HUBNESS_K),
  }));
  return { recipes, vocabularyRules, hubness };
}

const pad = (n: number) => n.toFixed(3);

export function choiceTables(choices: WordModelChoices): ReportTable[] {
  return [
    {
      title: 'Image → word recipes: cross-validation inside the training split',
      note: 'By image: 4 folds of the 800 training photos. By category: 5 groups of 4 whole categories held out, so every scored photo is of a kind its map never saw. open = the open-vocabulary proxy P@10 (18 caption words); tag P@5 against the captions; class = class names as text → image P@10; top-5 = the class word among the first 5 tags.',
      header: ['recipe', 'open (by image)', 'open (by category)', 'tag P@5 (by image)', 'tag P@5 (by category)', 'top-5 (by image)', 'class P@10 (by image)'],
      rows: choices.recipes.map((r) => [r.recipe, r.byImage.openP10, r.byCategory.openP10, r.byImage.tagP5, r.byCategory.tagP5, r.byImage.tagsTop5, r.byImage.classP10]),
    },
    {
      title: 'Tag vocabulary rules',
      note: 'Out-of-fold vectors of the served recipe; tag P@5 against the captions. The last columns only report (never choose).',
      header: ['rule', 'size', 'words', 'tag P@5 (by image)', 'top-5 (by image)', 'tag P@5 (by category)', ...Object.keys(choices.vocabularyRules[0]?.reportOnly ?? {}).map((name) => `tag P@5 ${name}`)],
      rows: choices.vocabularyRules.map((v) => [v.rule, String(v.size), String(v.words), v.byImage.tagP5, v.byImage.top5, v.byCategory.tagP5, ...Object.values(v.reportOnly)]),
    },
    {
      title: 'Hubness correction (CSLS, k 10)',
      note: 'Tags ranked by cosine − β × the word\'s mean cosine to its 10 nearest photos; photos for a word by cosine − β × the photo\'s mean cosine to its 10 nearest words. Out-of-fold vectors of the served recipe.',
      header: ['β', 'tag P@5 (by image)', 'tag P@5 (by category)', 'top-5 (by image)', 'open (by image)', 'open (by category)', 'class P@10 (by image)'],
      rows: choices.hubness.map((h) => [String(h.beta), h.byImage.tagP5, h.byCategory.tagP5, h.byImage.tagsTop5, h.byImage.openP10, h.byCategory.openP10, h.byImage.classP10]),
    },
  ];
}

export function printChoices(choices: WordModelChoices, write: (text: string) => void): void {
  for (const table of choiceTables(choices)) {
    write(`\n${table.title}\n${table.header.join(' | ')}\n`);
    for (const row of table.rows) write(`${row.map((v) => (typeof v === 'number' ? pad(v) : v)).join(' | ')}\n`);
  }
}

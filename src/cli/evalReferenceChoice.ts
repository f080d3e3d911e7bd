// The search that chose the word model's recipe, the transfer's k, T and
// fusion weights, and whether ConSE is fused, for the larger pool (issue 25
// part 4), on the cross-validation of evalReferenceCv.ts, one stage at a
// time: the recipe at today's parameters, then (k, T), then the tag weight
// and the text weights, then ConSE. A setting that loses more than FLOOR_SLACK
// of today's Pascal class figures (class text → image, the class word among
// the first 5 tags) is not eligible. Settings within TIE of the best figure
// are a tie, won by the cheaper or more familiar one: the fewer neighbours
// (a tag query reads every neighbour's caption words), then the values
// nearest today's, then no ConSE.
import type { TransferParameters } from '../embedding/index.js';
import type { TextSearchRules } from '../eval/transfer.js';
import type { RidgeRecipe } from '../eval/wordModelSelection.js';
import { scoreSetting, scoreTagSetting, tagMerit, textMerit, type CvResult, type CvSetting, type FusedVectors, type PreparedCv } from './evalReferenceCv.js';

/** The transfer's parameters before issue 25 (chosen on Pascal's 800 training photos alone). */
export const TRANSFER_BEFORE: TransferParameters = { neighbours: 10, temperature: 0.2, tagWeight: 0.9, tagShareExponent: 1, tagShowsCaptionWord: false, textWeight: 1, textVoteWeight: 1 };

/** Caption-only ridge maps (the served family since issue 17), by strength, with and without IDF weights. */
export const REFERENCE_RECIPES: readonly RidgeRecipe[] = [
  { classWeight: 0, lambda: 0.3 },
  { classWeight: 0, lambda: 1 },
  { classWeight: 0, lambda: 3 },
  { classWeight: 0, lambda: 10 },
  { classWeight: 0, lambda: 1, idf: true },
  { classWeight: 0, lambda: 3, idf: true },
];
/** Before issue 25: `ridge-caption-03`, fitted on Pascal's training split. */
export const TODAY_RECIPE = REFERENCE_RECIPES[0]!;
/** The served recipe (seeds/wordModelRecipes.ts), fitted on every captioned photo. */
export const SERVED_RECIPE = REFERENCE_RECIPES[0]!;

const GRID = {
  neighbours: [10, 20, 40],
  temperature: [0.05, 0.1, 0.2],
  tagWeight: [0.5, 0.7, 0.8, 0.9, 1],
  textWeight: [0.5, 1, 2, 4],
  textVoteWeight: [0, 0.5, 1, 2, 4],
  conseWeight: [0.25, 0.5, 1],
};
export const CONSE_WEIGHTS = [0, ...GRID.conseWeight];
/** How much of today's Pascal class figures a setting may lose. */
const FLOOR_SLACK = 0.02;
/** Figures of merit this close to the best are a tie (the folds' noise: neighbouring settings differ by about this). */
const TIE = 0.005;

/** How far a setting is from today's: neighbours first, then the other values' relative changes, then ConSE. */
function distanceFromToday(r: CvSetting): number[] {
  const change = (a: number, b: number) => Math.abs(Math.log((a + 0.1) / (b + 0.1)));
  const { p } = r;
  return [
    p.neighbours,
    change(p.temperature, TRANSFER_BEFORE.temperature) + change(p.tagWeight, TRANSFER_BEFORE.tagWeight) +
      change(p.textWeight, TRANSFER_BEFORE.textWeight) + change(p.textVoteWeight, TRANSFER_BEFORE.textVoteWeight),
    r.recipe,
    r.conseWeight,
  ];
}
const nearer = (a: CvSetting, b: CvSetting) => {
  const [da, db] = [distanceFromToday(a), distanceFromToday(b)];
  const i = da.findIndex((x, j) => x !== db[j]);
  return i >= 0 && da[i]! < db[i]!;
};

export interface Choice {
  trials: CvResult[];
  chosen: CvSetting;
  /** The ConSE weight's best trial against the chosen setting without it. */
  conse: { best: CvResult; without: CvResult };
}

export async function chooseSettings(cv: PreparedCv, rules: TextSearchRules, log: (line: string) => void): Promise<Choice> {
  const trials: CvResult[] = [];
  const fused: FusedVectors = new Map();
  const run = async (s: CvSetting) => {
    const started = Date.now();
    const result = await scoreSetting(cv, s, rules, fused);
    trials.push(result);
    log(`reference cross-validation: ${describe(result)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  };
  const today = await run({ recipe: 0, p: TRANSFER_BEFORE, conseWeight: 0 });
  const eligible = (r: CvResult) =>
    r.pascal.classTextToImage >= today.pascal.classTextToImage - FLOOR_SLACK && r.pascal.tagsTop5 >= today.pascal.tagsTop5 - FLOOR_SLACK;
  const best = (rows: readonly CvResult[], merit: (r: CvResult) => number) => {
    const score = (r: CvResult) => (eligible(r) ? merit(r) : -1);
    const top = Math.max(...rows.map(score));
    return rows.filter((r) => score(r) >= top - TIE).reduce((a, b) => (nearer(b, a) ? b : a));
  };
  const both = (r: CvResult) => tagMerit(r) + textMerit(r);

  const recipeRows = [today];
  for (let recipe = 1; recipe < cv.recipes.length; recipe++) {
    // Fitted on Pascal alone: a comparison (evalReference.ts), not a candidate.
    if (!cv.recipes[recipe]!.pascalOnly) recipeRows.push(await run({ recipe, p: TRANSFER_BEFORE, conseWeight: 0 }));
  }
  const recipe = best(recipeRows, both).recipe;

  const pairRows: CvResult[] = [];
  for (const neighbours of GRID.neighbours) {
    for (const temperature of GRID.temperature) {
      const same = neighbours === TRANSFER_BEFORE.neighbours && temperature === TRANSFER_BEFORE.temperature;
      pairRows.push(same ? recipeRows[recipe]! : await run({ recipe, p: { ...TRANSFER_BEFORE, neighbours, temperature }, conseWeight: 0 }));
    }
  }
  const pair = best(pairRows, both).p;

  const tagRows: CvResult[] = [];
  for (const tagWeight of GRID.tagWeight) tagRows.push(await run({ recipe, p: { ...pair, tagWeight }, conseWeight: 0 }));
  const tagWeight = best(tagRows, tagMerit).p.tagWeight;
  const textRows: CvResult[] = [];
  for (const textWeight of GRID.textWeight) {
    for (const textVoteWeight of GRID.textVoteWeight) {
      textRows.push(await run({ recipe, p: { ...pair, tagWeight, textWeight, textVoteWeight }, conseWeight: 0 }));
    }
  }
  const text = best(textRows, textMerit).p;
  const chosen: CvSetting = { recipe, p: { ...pair, tagWeight, textWeight: text.textWeight, textVoteWeight: text.textVoteWeight }, conseWeight: 0 };

  const without = textRows.find((r) => r.p.textWeight === text.textWeight && r.p.textVoteWeight === text.textVoteWeight)!;
  const conseRows: CvResult[] = [];
  for (const conseWeight of GRID.conseWeight) conseRows.push(await run({ ...chosen, conseWeight }));
  const conseBest = best(conseRows, both);
  return { trials, chosen, conse: { best: conseBest, without } };
}

/** The tag fusion's grid at the served k and T (`--tag-fusion`): tag weight, share exponent, and the shown word. */
const TAG_FUSION_GRID = {
  tagWeight: [0.8, 0.9, 1],
  tagShareExponent: [0.25, 0.5, 0.75, 1],
  tagShowsCaptionWord: [false, true],
};

export interface TagFusionChoice {
  trials: CvResult[];
  chosen: TransferParameters;
}

/**
 * The tag fusion chosen on the folds alone (tags only: text search does not
 * read it): the best mean tag precision@5 of the two sets, among settings that
 * keep the Pascal class word among the first 5 tags within FLOOR_SLACK of
 * today's fusion at the same k and T; a tie (TIE) goes to the values nearest
 * today's (tag weight 0.9, the plain share, the tag's name shown).
 */
export function chooseTagFusion(cv: PreparedCv, recipe: number, base: TransferParameters, log: (line: string) => void): TagFusionChoice {
  const trials: CvResult[] = [];
  for (const tagWeight of TAG_FUSION_GRID.tagWeight) {
    for (const tagShareExponent of TAG_FUSION_GRID.tagShareExponent) {
      for (const tagShowsCaptionWord of TAG_FUSION_GRID.tagShowsCaptionWord) {
        const result = scoreTagSetting(cv, { recipe, p: { ...base, tagWeight, tagShareExponent, tagShowsCaptionWord }, conseWeight: 0 });
        trials.push(result);
        log(`tag fusion: ${describe(result)}`);
      }
    }
  }
  const today = trials.find((r) => r.p.tagWeight === 0.9 && r.p.tagShareExponent === 1 && !r.p.tagShowsCaptionWord)!;
  const eligible = trials.filter((r) => r.pascal.tagsTop5 >= today.pascal.tagsTop5 - FLOOR_SLACK);
  const top = Math.max(...eligible.map(tagMerit));
  const change = (r: CvResult) =>
    Math.abs(Math.log(r.p.tagWeight / 0.9)) + Math.abs(Math.log(r.p.tagShareExponent)) + (r.p.tagShowsCaptionWord ? 1 : 0);
  const chosen = eligible.filter((r) => tagMerit(r) >= top - TIE).reduce((a, b) => (change(b) < change(a) ? b : a));
  return { trials, chosen: chosen.p };
}

const f3 = (x: number) => x.toFixed(3);
const p = (x: TransferParameters) =>
  `k ${x.neighbours}, T ${x.temperature}, tag ${x.tagWeight}, share^${x.tagShareExponent}${x.tagShowsCaptionWord ? ', caption word shown' : ''}, text ${x.textWeight}, vote ${x.textVoteWeight}`;

/** The recipe's name, and where the neighbours were found when not by the projection as served. */
const settingName = (r: CvResult) =>
  `${r.recipeName}${r.neighbourSpace === 'features' ? ', neighbours by the plain features' : r.neighbourSpace && r.neighbourSpace !== 'projection' ? `, neighbours by ${r.neighbourSpace}` : ''}`;

export function describe(r: CvResult): string {
  return (
    `${settingName(r)}; ${p(r.p)}; ConSE ${r.conseWeight}: ` +
    `reference tag P@5 ${f3(r.reference.tagPrecisionAt5)} R@10 ${f3(r.reference.tagRecallAt10)} text P@10 ${f3(r.reference.openTextToImage)}; ` +
    `Pascal tag P@5 ${f3(r.pascal.tagPrecisionAt5)} R@10 ${f3(r.pascal.tagRecallAt10)} text P@10 ${f3(r.pascal.openTextToImage)} ` +
    `class P@10 ${f3(r.pascal.classTextToImage)} tags top-5 ${f3(r.pascal.tagsTop5)}`
  );
}

/** The table's header and a row per trial (docs/models.md and the report use both). */
export const CV_HEADER = [
  'recipe', 'k', 'T', 'tag weight', 'tag share exponent', 'caption word shown', 'text weight', 'vote weight', 'ConSE',
  'reference tag P@5', 'reference tag R@10', 'reference text P@10',
  'Pascal tag P@5', 'Pascal tag R@10', 'Pascal text P@10', 'Pascal class P@10', 'Pascal tags top-5',
];

export const cvRow = (r: CvResult): (string | number)[] => [
  settingName(r), String(r.p.neighbours), String(r.p.temperature), String(r.p.tagWeight), String(r.p.tagShareExponent),
  r.p.tagShowsCaptionWord ? 'yes' : 'no', String(r.p.textWeight), String(r.p.textVoteWeight),
  String(r.conseWeight),
  r.reference.tagPrecisionAt5, r.reference.tagRecallAt10, r.reference.openTextToImage,
  r.pascal.tagPrecisionAt5, r.pascal.tagRecallAt10, r.pascal.openTextToImage, r.pascal.classTextToImage, r.pascal.tagsTop5,
];


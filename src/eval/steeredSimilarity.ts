// The "like this photo, but…" measure: for each Pascal cat photo plus the
// text "sofa", the share of the top 10 whose captions use both words, for
// similarImages alone, imagesForText("cat sofa") and similarImages steered
// by the text at several weights.
import { tokenize } from '../embedding/index.js';
import type { ImageMatch } from '../services/imageService.js';
import { mentions } from './wordForms.js';

export const STEERED_QUERY = { category: 'cat', photoWord: 'cat', text: 'sofa' } as const;
export const TEXT_WEIGHTS = [0.25, 0.5, 0.75] as const;
const TOP = 10;

export interface SteeredSearches {
  similar(id: string): Promise<ImageMatch[]>;
  text(text: string): Promise<ImageMatch[]>;
  steered(id: string, text: string, textWeight: number): Promise<ImageMatch[]>;
}

export interface SteeredResults {
  queries: number;
  /** Mean share of the top 10 whose captions use both words. */
  similarAlone: number;
  textAlone: number;
  steered: Record<string, number>;
}

const usesBoth = (match: ImageMatch) => {
  const words = new Set(match.image.captions.flatMap(tokenize));
  return mentions(words, [STEERED_QUERY.photoWord]) && mentions(words, [STEERED_QUERY.text]);
};

const share = (matches: readonly ImageMatch[]) => matches.slice(0, TOP).filter(usesBoth).length / TOP;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

/** `queryIds`: the cat photos; imagesForText leaves each query photo out of its own list, as similarImages does. */
export async function evaluateSteered(queryIds: readonly string[], search: SteeredSearches): Promise<SteeredResults> {
  const byText = await search.text(`${STEERED_QUERY.photoWord} ${STEERED_QUERY.text}`);
  const similar: number[] = [];
  const text: number[] = [];
  const steered: Record<string, number[]> = Object.fromEntries(TEXT_WEIGHTS.map((w) => [String(w), []]));
  for (const id of queryIds) {
    similar.push(share(await search.similar(id)));
    text.push(share(byText.filter((match) => match.image.id !== id)));
    for (const weight of TEXT_WEIGHTS) steered[String(weight)]!.push(share(await search.steered(id, STEERED_QUERY.text, weight)));
  }
  return {
    queries: queryIds.length,
    similarAlone: mean(similar),
    textAlone: mean(text),
    steered: Object.fromEntries(Object.entries(steered).map(([w, values]) => [w, mean(values)])),
  };
}

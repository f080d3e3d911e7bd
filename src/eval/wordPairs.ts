// Texts of two words ("dog beach", "man riding"): text → image P@10 where a
// photo counts only when its own captions use both words. The pairs are
// words that the captions of a photo set use together (in one caption), so
// photos showing both exist; the photos are ranked as the served vector side
// ranks them (searchedTexts: the store's own rules), with a chosen vote shift.
import { contentWords, lemmaKey, type TransferParameters } from '../embedding/index.js';
import { captionWordSet } from './captionMetrics.js';
import { searchedTexts, type Neighbour, type TextSearchRules, type TransferPhoto } from './transfer.js';
import { mentions } from './wordForms.js';
import { mean, PRECISION_AT, queryVector, rankByCosine, type TextQueryWords, type WordVectors } from './wordModelMetrics.js';

/** A query word and the caption forms that count as it. */
export interface WordGroup {
  word: string;
  forms: readonly string[];
}

export interface WordPairQuery extends TextQueryWords {
  /** Each word's caption forms: a photo is relevant when its captions use a form of each. */
  forms: readonly [readonly string[], readonly string[]];
}

/** A pair is asked when at least this many captions of the set use both words. */
export const MIN_PAIR_CAPTIONS = 5;

/**
 * Pairs of `groups` that at least `minCaptions` captions use together (a form
 * of each in one caption), most used first (ties by words), with their query
 * vector (the unit mean of the two words'); pairs with an unknown word are left out.
 */
export function wordPairQueries(
  captionSets: readonly (readonly string[])[],
  groups: readonly WordGroup[],
  vectors: WordVectors,
  minCaptions = MIN_PAIR_CAPTIONS,
): WordPairQuery[] {
  const groupOf = new Map<string, number>();
  groups.forEach((group, i) => group.forms.forEach((form) => groupOf.set(form, i)));
  const together = new Map<string, number>();
  for (const caption of captionSets.flat()) {
    const used = [...new Set(contentWords(caption).flatMap((word) => (groupOf.has(word) ? [groupOf.get(word)!] : [])))].sort((a, b) => a - b);
    for (let i = 0; i < used.length; i++) {
      for (let j = i + 1; j < used.length; j++) {
        const key = `${used[i]} ${used[j]}`;
        together.set(key, (together.get(key) ?? 0) + 1);
      }
    }
  }
  return [...together]
    .filter(([, n]) => n >= minCaptions)
    .map(([key, n]) => ({ pair: key.split(' ').map((i) => groups[Number(i)]!), n }))
    .sort((a, b) => b.n - a.n || (a.pair.map((g) => g.word).join(' ') < b.pair.map((g) => g.word).join(' ') ? -1 : 1))
    .flatMap(({ pair: [a, b] }) => {
      const words = [a!.word, b!.word];
      const vector = words.every((word) => vectors.has(word)) ? queryVector(words, vectors) : null;
      return vector ? [{ words, vector, forms: [a!.forms, b!.forms] as const }] : [];
    });
}

/**
 * The word groups of a caption set without a fixed list: content words folded
 * by their plural (lemmaKey), each named by its most used form, kept when
 * the captions of at least `minPhotos` photos use it and `keep` accepts it.
 */
export function captionWordGroups(captionSets: readonly (readonly string[])[], minPhotos: number, keep: (word: string) => boolean): WordGroup[] {
  const photos = new Map<string, number>();
  const forms = new Map<string, Map<string, number>>();
  for (const captions of captionSets) {
    const words = captionWordSet(captions);
    for (const key of new Set([...words].map(lemmaKey))) photos.set(key, (photos.get(key) ?? 0) + 1);
    for (const word of words) {
      const byForm = forms.get(lemmaKey(word)) ?? new Map<string, number>();
      forms.set(lemmaKey(word), byForm.set(word, (byForm.get(word) ?? 0) + 1));
    }
  }
  return [...photos]
    .filter(([, n]) => n >= minPhotos)
    .map(([key]) => [...forms.get(key)!].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([form]) => form))
    .filter((group) => keep(group[0]!))
    .map((group) => ({ word: group[0]!, forms: group }))
    .sort((a, b) => (a.word < b.word ? -1 : 1));
}

/** Mean P@10 of the pairs over `photos`, ranked by their served score for each pair. */
export async function wordPairPrecision(
  photos: readonly (TransferPhoto & { captions: readonly string[] })[],
  neighbours: readonly (readonly Neighbour[])[],
  queries: readonly WordPairQuery[],
  p: TransferParameters,
  rules: TextSearchRules,
  voteShift: number,
): Promise<number> {
  const searched = await searchedTexts(photos, neighbours, queries, p, rules, voteShift);
  const captionWords = photos.map((photo) => captionWordSet(photo.captions));
  return mean(
    queries.map((query) => {
      const relevant = (i: number) => query.forms.every((forms) => mentions(captionWords[i]!, forms));
      return rankByCosine(query.vector, searched, undefined, query.words).slice(0, PRECISION_AT).filter(relevant).length / PRECISION_AT;
    }),
  );
}

/**
 * The shifts the vote's shifted geometric mean is chosen among (on training
 * data only). The last makes text_vote the mean of the words' votes (within
 * 1e-6 of it): the rule before several words counted together.
 */
export const MEAN_SHIFT = 1e6;
export const VOTE_SHIFTS = [0.003, 0.01, 0.03, 0.1, 0.3, 1, MEAN_SHIFT] as const;

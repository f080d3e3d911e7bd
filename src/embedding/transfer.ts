// Nearest-neighbour caption transfer: a photo is described by the captions of
// the k stored captioned photos nearest to it by image embedding, weighted by
// a softmax of their similarity, and that vote is fused with the image → word
// model. Tags fuse per word; text search fuses per photo, as one stored vector
// (the model's unit vector plus the transferred one, weighted). Parameters were
// chosen by cross-validation on folds of the training data (docs/models.md,
// "Caption transfer" and "Issue 25").
import { l2Normalize } from '../lib/vectors.js';
import { contentWords } from './captions.js';
import type { TagCandidate, TagSource, TagVoter } from './tagFolding.js';
import { lemmaKey } from './tagVocabulary.js';

export interface TransferParameters {
  /** How many captioned neighbours vote. */
  neighbours: number;
  /** Softmax temperature over the neighbours' cosine similarity. */
  temperature: number;
  /** A tag's score: tagWeight × the neighbours' vote + (1 − tagWeight) × the model's cosine. */
  tagWeight: number;
  /**
   * A neighbour's part of a tag's vote is its weight × (the share of its
   * captions using the tag) ^ tagShareExponent: below 1, a word one caption of
   * five uses counts for more of what all five would give (1: the plain share).
   */
  tagShareExponent: number;
  /** A tag is shown as the word of it that the captions used most (couch, where the tag is named sofa), else by its name. */
  tagShowsCaptionWord: boolean;
  /** The transferred vector's weight against the model's unit vector in the searched one (the store mixes them: searched_text_vector). */
  textWeight: number;
  /** How much the neighbours' vote for the text's words adds to the searched vector's cosine (the store scores: text_search_score). */
  textVoteWeight: number;
}

// Chosen by the cross-validation on folds of Pascal's training split and the
// reference set, for a pool of about 8,000 captioned photos (docs/models.md,
// "Issue 25"; before: k 10, T 0.2, chosen with Pascal's 800 alone); the share
// exponent and the shown caption word by the same folds, tags alone (its
// "Follow-up").
export const TRANSFER: TransferParameters = {
  neighbours: 20,
  temperature: 0.1,
  tagWeight: 1,
  tagShareExponent: 0.75,
  tagShowsCaptionWord: true,
  textWeight: 1,
  textVoteWeight: 1,
};

/**
 * A text of several words: a photo's vote is the shifted geometric mean of its
 * votes for the words (exp of the mean of ln(vote + shift), less shift; the
 * store's text_vote), so the words count together. Chosen on the training
 * data (docs/search.md, "Texts of several words").
 */
export const TEXT_VOTE_SHIFT = 0.01;

/** The words a photo keeps for text search: its neighbours' most voted (the rest add little to a score). */
export const TEXT_VOTE_WORDS = 32;

/** Names the parameters of stored transfers: another version recomputes them (textVoteWeight applies at query time). */
export const transferVersion = (p: TransferParameters = TRANSFER) =>
  `k${p.neighbours}-t${p.temperature}-text${p.textWeight}-votes${TEXT_VOTE_WORDS}`;

/** Each caption's distinct content words, concatenated: a word occurs once per caption that uses it. */
export const captionWordList = (captions: readonly string[]): string[] => captions.flatMap(contentWords);

/** Softmax weights of neighbours at these cosine distances (sum 1). */
export function neighbourWeights(distances: readonly number[], temperature = TRANSFER.temperature): number[] {
  if (distances.length === 0) return [];
  const nearest = Math.min(...distances);
  // Shifted by the nearest so the exponentials never overflow.
  const raw = distances.map((d) => Math.exp((nearest - d) / temperature));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

export interface TransferNeighbour {
  distance: number;
  /** Unit caption vector. */
  captionEmbedding: Float32Array;
}

/**
 * What a photo stores for text search: textWeight × the unit similarity-weighted
 * mean of its neighbours' caption vectors (null without neighbours), and the
 * distance to its farthest neighbour (Infinity while fewer than k exist: any
 * new captioned photo is then one of them).
 */
export function transferredVector(
  neighbours: readonly TransferNeighbour[],
  p: TransferParameters = TRANSFER,
): { vector: Float32Array | null; radius: number } {
  const radius = neighbours.length < p.neighbours ? Infinity : Math.max(...neighbours.map((n) => n.distance));
  if (neighbours.length === 0 || p.textWeight === 0) return { vector: null, radius };
  const weights = neighbourWeights(neighbours.map((n) => n.distance), p.temperature);
  const sum = new Float32Array(neighbours[0]!.captionEmbedding.length);
  neighbours.forEach((n, j) => {
    for (let i = 0; i < sum.length; i++) sum[i]! += weights[j]! * n.captionEmbedding[i]!;
  });
  return { vector: l2Normalize(sum).map((x) => x * p.textWeight), radius };
}

/** A captioned neighbour as text search's vote reads it. */
export interface CaptionedNeighbour {
  distance: number;
  /** Each caption's distinct content words, concatenated (captionWordList). */
  captionWords: readonly string[];
  captionCount: number;
}

/** The key a text word and a caption word meet by: plural forms folded (dogs, dog → dog). */
export const voteKey = (word: string): string => lemmaKey(word);

/**
 * What a photo stores for text search by word: for each caption word (by
 * voteKey) of its k nearest captioned photos, Σ over them of the softmax
 * weight × the share of the neighbour's captions using it; the
 * TEXT_VOTE_WORDS largest, best first (ties by word).
 */
export function transferredWordVotes(
  neighbours: readonly CaptionedNeighbour[],
  p: TransferParameters = TRANSFER,
): [word: string, vote: number][] {
  const votes = new Map<string, number>();
  for (const byKey of neighbourWordVotes(neighbours, p)) {
    for (const [key, vote] of byKey) votes.set(key, (votes.get(key) ?? 0) + vote);
  }
  return [...votes]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TEXT_VOTE_WORDS);
}

/** Each neighbour's part of the word votes (in their order): by voteKey, its softmax weight × the share of its captions using it. */
function neighbourWordVotes(neighbours: readonly CaptionedNeighbour[], p: TransferParameters): Map<string, number>[] {
  const weights = neighbourWeights(neighbours.map((n) => n.distance), p.temperature);
  return neighbours.map((neighbour, j) => {
    const uses = new Map<string, number>();
    for (const word of neighbour.captionWords) uses.set(voteKey(word), (uses.get(voteKey(word)) ?? 0) + 1);
    // Two forms in one caption (dog, dogs) count that caption once.
    return new Map([...uses].map(([key, count]) => [key, weights[j]! * Math.min(1, count / Math.max(neighbour.captionCount, 1))]));
  });
}

/** How many voting neighbours Tag.evidence and ImageMatch.evidence show. */
export const EVIDENCE_NEIGHBOURS = 3;

/** The heaviest EVIDENCE_NEIGHBOURS voters, heaviest first (ties: nearest first). */
export const heaviestVoters = (voters: readonly TagVoter[]): TagVoter[] =>
  voters
    .filter((voter) => voter.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.place - b.place)
    .slice(0, EVIDENCE_NEIGHBOURS);

/**
 * Which neighbours voted for a text's keys in the votes a photo stores
 * (transferredWordVotes: a key outside its TEXT_VOTE_WORDS got no vote), and
 * each one's part: its votes for the stored keys, summed over the text's keys
 * and divided by their number (its share of their mean vote).
 */
export function textVoters(neighbours: readonly CaptionedNeighbour[], keys: readonly string[], p: TransferParameters = TRANSFER): TagVoter[] {
  const stored = new Set(transferredWordVotes(neighbours, p).map(([key]) => key));
  const counted = [...new Set(keys)].filter((key) => stored.has(key));
  return heaviestVoters(
    neighbourWordVotes(neighbours, p).map((byKey, place) => ({
      place,
      weight: counted.reduce((sum, key) => sum + (byKey.get(key) ?? 0), 0) / Math.max(new Set(keys).size, 1),
    })),
  );
}

/** The keys a text's known words search the stored votes by. */
export const textVoteKeys = (words: readonly string[]): string[] => [...new Set(words.map(voteKey))];

/** Own captions' place in VotedWord.neighbours. */
export const OWN_CAPTIONS = -1;

/**
 * A vocabulary word that captions use: which neighbours (by their place in
 * nearest-first order; OWN_CAPTIONS for the photo's own) and the share of
 * their captions using it.
 */
export interface VotedWord extends TagCandidate {
  neighbours: number[];
  shares: number[];
}

export interface ScoredTag extends TagCandidate {
  score: number;
  source: TagSource;
  voters: TagVoter[];
}

/**
 * The model's score for a word: its cosine to the image's word-space vector
 * (a candidate's distance is 1 − that cosine). The one place tags read the
 * model, so a corrected score (e.g. for hub words) slots in here.
 */
export const modelWordScore = (word: TagCandidate): number => 1 - word.distance;

export interface TagEvidence {
  /** The model's nearest vocabulary words. */
  modelCandidates: readonly TagCandidate[];
  /** Vocabulary words in the neighbours' captions (and the photo's own, when it is stored), with their model distance. */
  voted: readonly VotedWord[];
  /** Cosine distances of all k neighbours, nearest first (the softmax is over all of them). */
  neighbourDistances: readonly number[];
}

/** `compute` called once per key. */
function memoized<T>(compute: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    if (!known.has(key)) known.set(key, compute(key));
    return known.get(key)!;
  };
}

/**
 * Every candidate word scored, best first: the photo's own caption words
 * first (by the share of its captions using them), then tagWeight × the
 * neighbours' vote (per tag, so dog and dogs vote together; each neighbour's
 * share raised to tagShareExponent) + (1 − tagWeight) × the model's cosine.
 * Words no neighbour uses still come from the model. Each candidate also
 * names the word of its tag that the captions used most (`shown`: own
 * captions first, then the neighbours' vote), which the tag is shown as.
 */
export function scoreTags(evidence: TagEvidence, p: TransferParameters = TRANSFER): ScoredTag[] {
  const weights = neighbourWeights(evidence.neighbourDistances, p.temperature);
  const tagOf = (word: { text: string; tag: string | null }) => word.tag ?? word.text;
  const part = (n: number, share: number) => (weights[n] ?? 0) * Math.pow(share, p.tagShareExponent);
  // Per tag and neighbour, the largest share among the tag's words; the same per form of the tag (plurals folded: dogs is dog).
  const uses = new Map<string, Map<number, number>>();
  const formUses = new Map<string, Map<string, Map<number, number>>>();
  for (const word of evidence.voted) {
    const byNeighbour = uses.get(tagOf(word)) ?? new Map<number, number>();
    const forms = formUses.get(tagOf(word)) ?? new Map<string, Map<number, number>>();
    const lemma = lemmaKey(word.text);
    const form = lemma === lemmaKey(tagOf(word)) ? tagOf(word) : lemma;
    const byFormNeighbour = forms.get(form) ?? new Map<number, number>();
    word.neighbours.forEach((n, i) => {
      byNeighbour.set(n, Math.max(byNeighbour.get(n) ?? 0, word.shares[i]!));
      byFormNeighbour.set(n, Math.max(byFormNeighbour.get(n) ?? 0, word.shares[i]!));
    });
    uses.set(tagOf(word), byNeighbour);
    formUses.set(tagOf(word), forms.set(form, byFormNeighbour));
  }
  // The form a tag is shown as: the one its own captions use most, then the one its neighbours vote for most.
  const shownForm = (tag: string): string | undefined => {
    let best: { form: string; own: number; vote: number } | undefined;
    for (const [form, byNeighbour] of formUses.get(tag) ?? []) {
      let own = 0;
      let vote = 0;
      for (const [n, share] of byNeighbour) {
        if (n === OWN_CAPTIONS) own = share;
        else vote += part(n, share);
      }
      if (!best || own > best.own || (own === best.own && (vote > best.vote || (vote === best.vote && form < best.form)))) best = { form, own, vote };
    }
    return best?.form;
  };
  const evidenceFor = (tag: string) => {
    let vote = 0;
    let own = 0;
    const voters: TagVoter[] = [];
    for (const [n, share] of uses.get(tag) ?? []) {
      if (n === OWN_CAPTIONS) own = share;
      else {
        vote += part(n, share);
        voters.push({ place: n, weight: part(n, share) });
      }
    }
    return { vote, own, voters };
  };

  const candidates = new Map<string, TagCandidate>();
  for (const word of evidence.modelCandidates) candidates.set(word.text, word);
  for (const word of evidence.voted) {
    if (!candidates.has(word.text)) candidates.set(word.text, word);
  }
  // Per tag, not per word: a tag's words (dog, dogs, puppy) share its evidence and its shown form.
  const evidenceOf = memoized(evidenceFor);
  const shownOf = memoized(shownForm);
  const scored = [...candidates.values()].map((word): ScoredTag => {
    const { vote, own, voters } = evidenceOf(tagOf(word));
    const source: TagSource = own > 0 ? 'CAPTION' : vote > 0 ? 'SIMILAR_PHOTOS' : 'MODEL';
    const score = own + p.tagWeight * vote + (1 - p.tagWeight) * modelWordScore(word);
    const { text, tag, distance, vector, synonyms } = word;
    return { text, tag, distance, vector, synonyms, score, source, voters, shown: p.tagShowsCaptionWord ? shownOf(tagOf(word)) : undefined };
  });
  return scored.sort((a, b) => b.score - a.score || a.distance - b.distance || (a.text < b.text ? -1 : 1));
}

// Tags that say different things. The vocabulary is folded once, when it is
// built: plural forms (dog/dogs) and WordNet synonyms that share their most
// common sense and lie near in GloVe (aeroplane/airplane/plane, grey/gray,
// tv/television) become one tag, named by the Pascal class word where there is
// one, else by the most frequent form. When tags are asked for, the nearest
// words are folded into their tags, and a word whose vector nearly equals a
// better-ranked tag's word is dropped. Thresholds: docs/models.md.
import { dot, l2Normalize } from '../lib/vectors.js';
import { lemmaKey } from './tagVocabulary.js';

/** Synonyms fold only when their GloVe vectors are at least this close (cosine). */
export const SYNONYM_MIN_COSINE = 0.5;
/** A candidate at least this close (cosine) to a tag already chosen adds nothing. */
export const NEAR_DUPLICATE_COSINE = 0.9;
/** Names the folding rule; stored with the seed so a changed rule refolds the vocabulary. */
export const TAG_FOLDING_VERSION = `wordnet-main-sense/cos-${SYNONYM_MIN_COSINE}/irregular-plurals`;

/** Where a tag's evidence came from (the API's Tag.source): the photo's own captions, its neighbours' vote, or the model alone. */
export type TagSource = 'CAPTION' | 'SIMILAR_PHOTOS' | 'MODEL';

export interface VocabularyWord {
  text: string;
  vector: Float32Array;
}

/** A WordNet sense: its id and the words whose most common sense it is. */
export interface Sense {
  id: string;
  words: readonly string[];
}

/**
 * Each vocabulary word's tag. `words` in rank order (most frequent first);
 * `senseOf` gives a word's most common sense (WordNet). A tag takes, from each
 * sense it belongs to, the words reachable through pairs at least `minCosine`
 * apart in GloVe (airplane → aeroplane 0.54, airplane → plane 0.87), and
 * their plural forms; the chain never leaves a sense, so synonyms of
 * synonyms in other senses stay apart.
 */
export function foldTagVocabulary(
  words: readonly VocabularyWord[],
  classWords: readonly string[],
  senseOf: (word: string) => Sense | undefined,
  minCosine = SYNONYM_MIN_COSINE,
): Map<string, string> {
  const vectors = new Map(words.map((word) => [word.text, l2Normalize(word.vector)]));
  // Each sense's vocabulary words, and each word's senses (its own, and any sense listing it: grey's lists gray).
  const senseWords = new Map<string, string[]>();
  const sensesOf = new Map<string, Set<string>>();
  for (const { text } of words) {
    const sense = senseOf(text);
    if (!sense || senseWords.has(sense.id)) continue;
    const members = sense.words.filter((word) => vectors.has(word));
    senseWords.set(sense.id, members);
    for (const member of members) sensesOf.set(member, (sensesOf.get(member) ?? new Set()).add(sense.id));
  }
  const pluralsOf = new Map<string, string[]>();
  for (const { text } of words) pluralsOf.set(lemmaKey(text), [...(pluralsOf.get(lemmaKey(text)) ?? []), text]);
  const close = (a: string, b: string) => dot(vectors.get(a)!, vectors.get(b)!) >= minCosine;

  const tagOf = new Map<string, string>();
  const join = (member: string, tag: string) => {
    if (!tagOf.has(member)) tagOf.set(member, tag);
    // The member's own plural forms ("airplanes" with airplane), not other words sharing a stem.
    for (const form of pluralsOf.get(member) ?? []) if (!tagOf.has(form) && lemmaKey(form) === member) tagOf.set(form, tag);
  };
  const classFirst = [...classWords.filter((word) => vectors.has(word)), ...words.map((word) => word.text)];
  for (const word of classFirst) {
    if (tagOf.has(word)) continue;
    join(word, word);
    for (const plural of pluralsOf.get(lemmaKey(word)) ?? []) if (!tagOf.has(plural)) tagOf.set(plural, word);
    for (const sense of sensesOf.get(word) ?? []) {
      const group = [word];
      const open = (senseWords.get(sense) ?? []).filter((member) => !tagOf.has(member));
      for (let grew = true; grew; ) {
        grew = false;
        for (const member of open) {
          if (group.includes(member) || tagOf.has(member) || !group.some((inGroup) => close(inGroup, member))) continue;
          group.push(member);
          join(member, word);
          grew = true;
        }
      }
    }
  }
  return tagOf;
}

export interface TagCandidate {
  /** The vocabulary word that was near. */
  text: string;
  /** Its tag (null: not folded, the word is its own tag). */
  tag: string | null;
  distance: number;
  /** Null for a word only captions brought (not read, to keep the answer small): no near-duplicate check. */
  vector: Float32Array | null;
  /** The tag's other words. */
  synonyms: string[];
  /** Where the word came from (scoreTags); the model alone when not said. */
  source?: TagSource;
  /** The neighbours whose captions voted for its tag, in no order (scoreTags; heaviestVoters picks the evidence); none when not said. */
  voters?: readonly TagVoter[];
  /** The word of its tag that the captions used most (scoreTags): the tag is shown as it. Not said: the tag's own name. */
  shown?: string;
}

/** A neighbour (by its place, nearest first) and its part of a tag's vote. */
export interface TagVoter {
  place: number;
  weight: number;
}

export interface FoldedTag {
  text: string;
  distance: number;
  synonyms: string[];
  source: TagSource;
  voters: readonly TagVoter[];
}

/** The first `first` tags of candidates sorted best first: one per tag, no near-duplicates; a tag's distance is its nearest word's. */
export function foldTags(
  candidates: readonly TagCandidate[],
  first: number,
  nearDuplicateCosine = NEAR_DUPLICATE_COSINE,
): FoldedTag[] {
  const seen = new Set<string>();
  const chosen: Float32Array[] = [];
  const tags: FoldedTag[] = [];
  for (const candidate of candidates) {
    if (tags.length === first) break;
    const tag = candidate.tag ?? candidate.text;
    if (seen.has(lemmaKey(tag))) continue;
    const vector = candidate.vector && l2Normalize(candidate.vector);
    if (vector && chosen.some((other) => dot(other, vector) >= nearDuplicateCosine)) continue;
    seen.add(lemmaKey(tag));
    if (vector) chosen.push(vector);
    // Shown as the word the captions used (couch, where the tag is named sofa); the tag's other words stay its synonyms.
    const text = candidate.shown ?? tag;
    const synonyms = text === tag ? candidate.synonyms : [tag, ...candidate.synonyms.filter((word) => word !== text)];
    tags.push({ text, distance: candidate.distance, synonyms, source: candidate.source ?? 'MODEL', voters: candidate.voters ?? [] });
  }
  return tags;
}

/** How many nearest words to fetch so that `first` tags remain after folding. */
export const candidatesFor = (first: number) => first * 3 + 10;

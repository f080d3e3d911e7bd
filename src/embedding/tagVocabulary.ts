// The tag vocabulary: which words may describe an image, and how a ranked list
// of candidate words becomes tags without two forms of one word (dog/dogs).
// A tag must be a word a photo can show. The rule reads WordNet (through the
// Lexicon the caller passes): a noun whose main senses are things, living
// beings, food, plants, body parts, substances or natural scenes; a colour; or
// the -ing form of a visible action. Function words, adverbs and abstract
// nouns (instead, every, front, top, back) never qualify. Text queries are not
// limited by it: they may use any GloVe word.
import { STOP_WORDS } from './stopWords.js';

/** Default tag vocabulary size (the most frequent words the rule keeps); see docs/models.md. */
export const DEFAULT_TAG_VOCABULARY_SIZE = 10_000;

/** Alphabetic, at least two letters, not a stop word. */
export function isTagWord(word: string): boolean {
  return /^[a-z]{2,}$/.test(word) && !STOP_WORDS.has(word);
}

export type LexicalCategory = 'noun' | 'verb' | 'adj' | 'adv';

/** What the vocabulary rule asks of a dictionary (WordNet: src/dataset/wordnet.ts). */
export interface Lexicon {
  /** The part of speech in which the word is most often used. */
  mainPartOfSpeech(word: string): LexicalCategory | undefined;
  /** The lexicographer files (noun.animal, verb.motion…) of the word's senses, most common first. */
  lexicographerFiles(word: string, pos: LexicalCategory): string[];
  /** Is one of the word's first `senses` senses a kind of `ancestor`'s first noun sense? */
  isKindOf(word: string, pos: LexicalCategory, ancestor: string, senses: number): boolean;
  /** Is the word's most common sense a name (American, Washington)? */
  isNameFirst(word: string, pos: LexicalCategory): boolean;
}

export interface TagVocabularyRule {
  name: string;
  /** Every word qualifies (the frequency baseline). */
  everyWord?: boolean;
  /** Lexicographer files whose nouns a photo can show. */
  nounFiles?: readonly string[];
  /**
   * Files whose nouns qualify only when their first sense is a kind of the
   * given WordNet lemma: places that are land (field, park, city) and not
   * relations (front, top, side); snow and rain, not results and effects.
   */
  nounKinds?: Readonly<Record<string, string>>;
  /** The word's first sense must be in nounFiles (1), or one of its first N. */
  senses?: number;
  /** Colours (red, white, gray), whatever the word's main part of speech. */
  colours?: boolean;
  /**
   * -ing forms that WordNet lists as the name of an activity (noun.act) and
   * whose verb's first sense is in these files (riding, sitting, eating; not
   * meeting, following, winning).
   */
  actionFiles?: readonly string[];
}

const THINGS = ['noun.animal', 'noun.artifact', 'noun.body', 'noun.food', 'noun.object', 'noun.person', 'noun.plant'];
const THINGS_AND_STUFF = [...THINGS, 'noun.substance'];
/** noun.Tops holds the roots (food, animal, but also act, thing): only the physical ones. */
const PHYSICAL_ROOTS = { 'noun.Tops': 'physical_entity' };
const SCENES = { ...PHYSICAL_ROOTS, 'noun.location': 'geographical_area', 'noun.phenomenon': 'natural_phenomenon' };
const VISIBLE_ACTIONS = ['verb.motion', 'verb.contact', 'verb.consumption', 'verb.competition', 'verb.body'];
/** The ancestor that makes a word a colour (a WordNet lemma). */
const COLOUR = 'color';

/** The vocabulary rules measured (docs/models.md, "Tag vocabulary"). */
export const TAG_VOCABULARY_RULES: Record<string, TagVocabularyRule> = {
  frequency: { name: 'frequency', everyWord: true },
  things: { name: 'things', nounFiles: THINGS, nounKinds: PHYSICAL_ROOTS, senses: 1, colours: true },
  'things+scenes': { name: 'things+scenes', nounFiles: THINGS_AND_STUFF, nounKinds: SCENES, senses: 1, colours: true },
  'things+scenes+actions': {
    name: 'things+scenes+actions',
    nounFiles: THINGS_AND_STUFF,
    nounKinds: SCENES,
    senses: 1,
    colours: true,
    actionFiles: VISIBLE_ACTIONS,
  },
  'things+actions': { name: 'things+actions', nounFiles: THINGS, nounKinds: PHYSICAL_ROOTS, senses: 1, colours: true, actionFiles: VISIBLE_ACTIONS },
  'two-senses+scenes': { name: 'two-senses+scenes', nounFiles: THINGS_AND_STUFF, nounKinds: SCENES, senses: 2, colours: true },
};

/** The rule the seed applies, chosen by cross-validation inside the training split (docs/models.md). */
export const DEFAULT_TAG_VOCABULARY_RULE = 'things+scenes+actions';

/** The dictionary forms a vocabulary word may stand for: itself, its singular, and the -men and children plurals. */
function baseForms(word: string): string[] {
  return [...new Set([word, lemmaKey(word), word.replace(/men$/, 'man'), word.replace(/children$/, 'child')])];
}

/** Verbs an -ing form may come from: riding → ride, sitting → sit, walking → walk. */
function verbsOf(word: string): string[] {
  if (!word.endsWith('ing') || word.length < 6) return [];
  const stem = word.slice(0, -3);
  const undoubled = /([^aeiou])\1$/.test(stem) ? stem.slice(0, -1) : stem;
  return [...new Set([stem, `${stem}e`, undoubled])];
}

function isDepictableNoun(form: string, lexicon: Lexicon, rule: TagVocabularyRule): boolean {
  if (lexicon.mainPartOfSpeech(form) !== 'noun' || lexicon.isNameFirst(form, 'noun')) return false;
  const senses = lexicon.lexicographerFiles(form, 'noun').slice(0, rule.senses ?? 1);
  if (senses.some((file) => rule.nounFiles?.includes(file))) return true;
  const ancestor = rule.nounKinds?.[senses[0] ?? ''];
  return !!ancestor && lexicon.isKindOf(form, 'noun', ancestor, 1);
}

/** Can a photo show this word, by `rule`? */
export function isDepictable(word: string, lexicon: Lexicon, rule: TagVocabularyRule): boolean {
  if (!isTagWord(word)) return false;
  if (rule.everyWord) return true;
  const forms = baseForms(word);
  if (forms.some((form) => isDepictableNoun(form, lexicon, rule))) return true;
  if (rule.colours && forms.some((form) => lexicon.isKindOf(form, 'noun', COLOUR, 2))) return true;
  const actions = rule.actionFiles;
  if (!actions || lexicon.lexicographerFiles(word, 'noun')[0] !== 'noun.act') return false;
  return verbsOf(word).some((verb) => actions.includes(lexicon.lexicographerFiles(verb, 'verb')[0] ?? ''));
}

/**
 * The tag vocabulary: the first `size` words of `rankedWords` (most frequent
 * first) that the rule keeps, plus `alwaysInclude` (the class words), in rank order.
 */
export function selectTagWords(
  rankedWords: readonly string[],
  lexicon: Lexicon,
  rule: TagVocabularyRule,
  size: number,
  alwaysInclude: readonly string[] = [],
): string[] {
  const chosen: string[] = [];
  const included = new Set(alwaysInclude);
  for (const word of rankedWords) {
    if (chosen.length < size ? isDepictable(word, lexicon, rule) || included.has(word) : included.has(word)) chosen.push(word);
  }
  return chosen;
}

/**
 * Plurals of things people photograph that no ending rule finds (men/women:
 * the -men rule below). A Map, not an object: "constructor" is a word too,
 * and an object would answer it with Object.
 */
const IRREGULAR_PLURALS: ReadonlyMap<string, string> = new Map(Object.entries({
  children: 'child',
  people: 'person',
  feet: 'foot',
  teeth: 'tooth',
  geese: 'goose',
  mice: 'mouse',
  knives: 'knife',
  leaves: 'leaf',
  wolves: 'wolf',
  shelves: 'shelf',
  calves: 'calf',
}));

/**
 * A cheap lemma: English plural endings folded ("dogs" → "dog", "puppies" →
 * "puppy", "boxes" → "box", "watches" → "watch", "glasses" → "glass",
 * "horses" → "horse", "women" → "woman", "children" → "child"). "-ses" is ambiguous: the singular keeps its "e"
 * (horse, house, rose) unless it ends in "ss" (glass) or is a three-letter
 * "-us" word (bus).
 */
export function lemmaKey(word: string): string {
  const irregular = IRREGULAR_PLURALS.get(word);
  if (irregular) return irregular;
  // men, women, firemen: a stem that is no word ("specimen" → "speciman") folds with nothing.
  if (word.endsWith('men')) return `${word.slice(0, -3)}man`;
  // Every rule below takes off a final s; most words end otherwise, and a tag query folds hundreds.
  if (!word.endsWith('s')) return word;
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ch|sh|x|zz|ss)es$/.test(word)) return word.slice(0, -2);
  if (/^[a-z]uses$/.test(word)) return word.slice(0, 3);
  if (word.length > 3 && word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The first `first` candidates (already sorted best first) with one word per lemma. */
export function distinctLemmas<T extends { text: string }>(candidates: readonly T[], first: number): T[] {
  const seen = new Set<string>();
  const picked: T[] = [];
  for (const candidate of candidates) {
    const key = lemmaKey(candidate.text);
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(candidate);
    if (picked.length === first) break;
  }
  return picked;
}

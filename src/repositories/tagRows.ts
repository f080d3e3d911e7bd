// The rows tag queries return: a vocabulary word as tags are served, and the same near a vector.

/** A vocabulary word as tags are served: its tag (null: its own), its vector and the tag's other words. */
export interface TagWordRow {
  text: string;
  tag: string | null;
  vector: Float32Array;
  synonyms: string[];
}

/** A vocabulary word near a vector, with its cosine distance. */
export interface TagRow extends TagWordRow {
  distance: number;
}

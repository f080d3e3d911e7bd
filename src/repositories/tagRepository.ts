// All SQL about the tag vocabulary and nearest tags in word space.
import type pg from 'pg';
import { STOP_WORDS } from '../embedding/stopWords.js';
import { withTransaction } from '../lib/transaction.js';
import { queryWithHnsw } from './queryRunner.js';
import { toFloat32, vectorParam } from './vectorParam.js';

export interface TagRow {
  text: string;
  distance: number;
}

export interface ImageTagRow extends TagRow {
  imageId: string;
}

// The `size` most frequent eligible words ($1 size, $2 stop words) plus chosen ones ($3).
const ELIGIBLE_WORDS = `
  (SELECT text, rank, embedding FROM words
   WHERE text ~ '^[a-z]{2,}$' AND text <> ALL($2::text[])
   ORDER BY rank LIMIT $1)
  UNION
  SELECT text, rank, embedding FROM words WHERE text = ANY($3::text[])`;

const NEAREST_TAGS = {
  name: 'tags_nearest',
  text: `SELECT text, embedding <=> $1::vector AS distance FROM tag_words
         ORDER BY embedding <=> $1::vector LIMIT $2`,
};

const NEAREST_TAGS_FOR_IMAGES = {
  name: 'tags_nearest_for_images',
  text: `SELECT i.id AS "imageId", t.text, t.distance
         FROM images i CROSS JOIN LATERAL (
           SELECT text, embedding <=> i.word_embedding AS distance FROM tag_words
           ORDER BY embedding <=> i.word_embedding LIMIT $2
         ) t
         WHERE i.id = ANY($1::text[]) AND i.word_embedding IS NOT NULL
         ORDER BY i.id, t.distance, t.text`,
};

export class TagRepository {
  constructor(
    private readonly writer: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  async count(): Promise<number> {
    const result = await this.writer.query<{ n: number }>('SELECT count(*)::int AS n FROM tag_words');
    return result.rows[0]!.n;
  }

  /**
   * Replaces the vocabulary with the `size` most frequent alphabetic, non-stop
   * words of `words`, plus `alwaysInclude` (the class words), in one transaction.
   */
  async replaceVocabulary(size: number, alwaysInclude: readonly string[]): Promise<number> {
    return withTransaction(this.writer, async (client) => {
      await client.query('DELETE FROM tag_words');
      const result = await client.query(
        `INSERT INTO tag_words (text, rank, embedding) SELECT text, rank, embedding FROM (${ELIGIBLE_WORDS}) chosen`,
        [size, [...STOP_WORDS], alwaysInclude],
      );
      await client.query('ANALYZE tag_words');
      return result.rowCount ?? 0;
    });
  }

  /** A vocabulary of another size, without storing it (evaluation: which size tags best). */
  async candidateVocabulary(size: number, alwaysInclude: readonly string[]): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      `SELECT text, embedding FROM (${ELIGIBLE_WORDS}) chosen ORDER BY rank`,
      [size, [...STOP_WORDS], alwaysInclude],
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** The whole vocabulary with vectors, in rank order (evaluation). */
  async all(): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM tag_words ORDER BY rank',
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** Nearest vocabulary words to a word-space vector, by cosine distance. */
  async nearest(vector: ArrayLike<number>, first: number, efSearch: number): Promise<TagRow[]> {
    return queryWithHnsw<TagRow>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS,
      [vectorParam(vector), first],
    );
  }

  /** Nearest vocabulary words for each of several stored images, in one query. */
  async nearestForImages(imageIds: readonly string[], first: number, efSearch: number): Promise<ImageTagRow[]> {
    return queryWithHnsw<ImageTagRow>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS_FOR_IMAGES,
      [imageIds, first],
    );
  }
}

// All SQL of the image ↔ text domain: images in word space (their projected
// vectors, the search over them, the model's training images and stored
// split) and the tag vocabulary with the nearest tags to a word-space vector.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { COLUMNS, SCANNED_COLUMNS, type ImageMatchRow } from './imageRepository.js';
import { countOf, queryWithHnsw } from './queryRunner.js';
import { toFloat32, vectorParam, type VectorColumn } from './vectorParam.js';

export interface TrainingImageRow {
  id: string;
  category: string;
  captions: string[];
  features: Float32Array;
}

export interface WordSpaceImageRow {
  id: string;
  category: string | null;
  captions: string[];
  /** L2-normalised word-space vector. */
  vector: Float32Array;
}

// The matched images' rows come with the search: no second query for them.
const nearestImagesQuery = (name: string, filter: string) => ({
  name,
  text: `SELECT ${COLUMNS}, distance FROM (
           SELECT ${SCANNED_COLUMNS}, word_embedding <=> $1::vector AS distance FROM images
           WHERE word_embedding IS NOT NULL ${filter}
           ORDER BY word_embedding <=> $1::vector LIMIT $2
         ) nearest ORDER BY distance, id`,
});
const NEAREST_IMAGES = nearestImagesQuery('word_space_nearest', '');
const NEAREST_IMAGES_IN_CATEGORY = nearestImagesQuery('word_space_nearest_in_category', 'AND category = $3');

/** A vocabulary word near a vector, with its tag (null: its own) and the tag's other words. */
export interface TagRow {
  text: string;
  tag: string | null;
  distance: number;
  vector: Float32Array;
  synonyms: string[];
}

export interface ImageTagRow extends TagRow {
  imageId: string;
}

// The `size` most frequent eligible words ($1 size, $2 words left out) plus chosen ones ($3).
const ELIGIBLE_WORDS = `
  (SELECT text, rank, embedding FROM words
   WHERE text ~ '^[a-z]{2,}$' AND text <> ALL($2::text[])
   ORDER BY rank LIMIT $1)
  UNION
  SELECT text, rank, embedding FROM words WHERE text = ANY($3::text[])`;

// The words of a tag other than its name, most frequent first (tag words are few: an index lookup).
const SYNONYMS = (row: string) => `ARRAY(SELECT s.text FROM tag_words s
  WHERE s.tag = COALESCE(${row}.tag, ${row}.text) AND s.text <> COALESCE(${row}.tag, ${row}.text) ORDER BY s.rank) AS synonyms`;

const NEAREST_TAGS = {
  name: 'tags_nearest',
  text: `SELECT c.text, c.tag, c.distance, c.embedding AS vector, ${SYNONYMS('c')} FROM (
           SELECT text, tag, embedding, embedding <=> $1::vector AS distance FROM tag_words
           ORDER BY embedding <=> $1::vector LIMIT $2
         ) c ORDER BY c.distance, c.text`,
};

const NEAREST_TAGS_FOR_IMAGES = {
  name: 'tags_nearest_for_images',
  text: `SELECT i.id AS "imageId", t.text, t.tag, t.distance, t.embedding AS vector, ${SYNONYMS('t')}
         FROM images i CROSS JOIN LATERAL (
           SELECT text, tag, embedding, embedding <=> i.word_embedding AS distance FROM tag_words
           ORDER BY embedding <=> i.word_embedding LIMIT $2
         ) t
         WHERE i.id = ANY($1::text[]) AND i.word_embedding IS NOT NULL
         ORDER BY i.id, t.distance, t.text`,
};

export class ImageTextRepository {
  constructor(
    private readonly writer: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  /** The dataset images with a category: what the projector trains on. */
  async trainingImages(): Promise<TrainingImageRow[]> {
    const result = await this.writer.query<VectorColumn<TrainingImageRow, 'features'>>(
      `SELECT id, category, captions, features FROM images
       WHERE source = 'pascal' AND category IS NOT NULL ORDER BY id`,
    );
    return result.rows.map((row) => ({ ...row, features: toFloat32(row.features) }));
  }

  async countUnprojected(): Promise<number> {
    return countOf(this.writer, 'SELECT count(*)::int AS n FROM images WHERE word_embedding IS NULL');
  }

  /** The next images without a word-space vector, with their image features. */
  async unprojected(limit: number): Promise<{ id: string; features: Float32Array }[]> {
    const result = await this.writer.query<{ id: string; features: number[] }>(
      'SELECT id, features FROM images WHERE word_embedding IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: row.id, features: toFloat32(row.features) }));
  }

  async setWordEmbeddings(ids: readonly string[], vectors: readonly Float32Array[]): Promise<void> {
    await this.writer.query(
      `UPDATE images SET word_embedding = t.vector
       FROM unnest($1::text[], $2::vector[]) AS t(id, vector) WHERE images.id = t.id`,
      [ids, vectors.map(vectorParam)],
    );
  }

  /** A new model makes every stored vector stale. */
  async clearWordEmbeddings(): Promise<void> {
    await this.writer.query('UPDATE images SET word_embedding = NULL WHERE word_embedding IS NOT NULL');
  }

  /** In the order of `ids`; null for an unknown image or one not projected yet. */
  async wordEmbeddings(ids: readonly string[]): Promise<(Float32Array | null)[]> {
    const result = await this.reader.query<{ id: string; word_embedding: number[] | null }>(
      'SELECT id, word_embedding FROM images WHERE id = ANY($1::text[])',
      [ids],
    );
    const byId = new Map(result.rows.map((row) => [row.id, row.word_embedding && toFloat32(row.word_embedding)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Nearest images in word space; `category` keeps scanning the index until enough rows pass. */
  async nearestImages(
    vector: ArrayLike<number>,
    options: { first: number; category?: string; efSearch: number },
  ): Promise<ImageMatchRow[]> {
    return queryWithHnsw<ImageMatchRow>(
      this.reader,
      { efSearch: Math.max(options.efSearch, options.first), iterative: options.category ? 'relaxed_order' : undefined },
      options.category ? NEAREST_IMAGES_IN_CATEGORY : NEAREST_IMAGES,
      options.category
        ? [vectorParam(vector), options.first, options.category]
        : [vectorParam(vector), options.first],
    );
  }

  async saveSplit(trainIds: readonly string[], heldOutIds: readonly string[]): Promise<void> {
    await withTransaction(this.writer, async (client) => {
      await client.query('DELETE FROM training_split');
      await client.query(
        `INSERT INTO training_split (image_id, held_out)
         SELECT * FROM unnest($1::text[], $2::boolean[])`,
        [[...trainIds, ...heldOutIds], [...trainIds.map(() => false), ...heldOutIds.map(() => true)]],
      );
    });
  }

  /** The held-out images of the stored model, with their word-space vectors (evaluation). */
  async heldOutImages(): Promise<WordSpaceImageRow[]> {
    const result = await this.reader.query<VectorColumn<WordSpaceImageRow, 'vector'>>(
      `SELECT i.id, i.category, i.captions, i.word_embedding AS vector FROM images i
       JOIN training_split s ON s.image_id = i.id
       WHERE s.held_out AND i.word_embedding IS NOT NULL ORDER BY i.id`,
    );
    return result.rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }

  async countTagWords(): Promise<number> {
    return countOf(this.writer, 'SELECT count(*)::int AS n FROM tag_words');
  }

  /**
   * Replaces the tag vocabulary with the `size` most frequent alphabetic words
   * of `words` not in `leftOut` (stop words), plus `alwaysInclude` (the class
   * words), in one transaction.
   */
  async replaceTagVocabulary(size: number, leftOut: readonly string[], alwaysInclude: readonly string[]): Promise<number> {
    return withTransaction(this.writer, async (client) => {
      await client.query('DELETE FROM tag_words');
      const result = await client.query(
        `INSERT INTO tag_words (text, rank, embedding) SELECT text, rank, embedding FROM (${ELIGIBLE_WORDS}) chosen`,
        [size, leftOut, alwaysInclude],
      );
      await client.query('ANALYZE tag_words');
      return result.rowCount ?? 0;
    });
  }

  /** A vocabulary of another size, without storing it (evaluation: which size tags best). */
  async candidateTagVocabulary(
    size: number,
    leftOut: readonly string[],
    alwaysInclude: readonly string[],
  ): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      `SELECT text, embedding FROM (${ELIGIBLE_WORDS}) chosen ORDER BY rank`,
      [size, leftOut, alwaysInclude],
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** The whole tag vocabulary with vectors, in rank order (training, evaluation). */
  async tagVocabulary(): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM tag_words ORDER BY rank',
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** Stores each vocabulary word's tag (words not named keep their own). */
  async setTags(tagOf: ReadonlyMap<string, string>): Promise<void> {
    await this.writer.query(
      `UPDATE tag_words SET tag = t.tag FROM unnest($1::text[], $2::text[]) AS t(text, tag) WHERE tag_words.text = t.text`,
      [[...tagOf.keys()], [...tagOf.values()]],
    );
  }

  /** Nearest vocabulary words to a word-space vector, by cosine distance, with their tags. */
  async nearestTags(vector: ArrayLike<number>, first: number, efSearch: number): Promise<TagRow[]> {
    const rows = await queryWithHnsw<VectorColumn<TagRow, 'vector'>>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS,
      [vectorParam(vector), first],
    );
    return rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }

  /** Nearest vocabulary words for each of several stored images, in one query. */
  async nearestTagsForImages(imageIds: readonly string[], first: number, efSearch: number): Promise<ImageTagRow[]> {
    const rows = await queryWithHnsw<VectorColumn<ImageTagRow, 'vector'>>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS_FOR_IMAGES,
      [imageIds, first],
    );
    return rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }
}

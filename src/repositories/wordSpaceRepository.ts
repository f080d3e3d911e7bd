// The word space's SQL for seeding and evaluation: the images the image →
// word model trains on, their stored split, and every image's word-space
// vector written, cleared and read back for the held-out images.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { countOf } from './queryRunner.js';
import { toFloat32, vectorParam, type VectorColumn } from './sqlParams.js';
import { fillTagWords } from './transferUpkeep.js';

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

export class WordSpaceRepository {
  constructor(
    private readonly primary: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  /** The dataset images with a category: what the word model trains on. */
  async trainingImages(): Promise<TrainingImageRow[]> {
    const result = await this.primary.query<VectorColumn<TrainingImageRow, 'features'>>(
      `SELECT id, category, captions, features FROM images
       WHERE source = 'pascal' AND category IS NOT NULL ORDER BY id`,
    );
    return result.rows.map((row) => ({ ...row, features: toFloat32(row.features) }));
  }

  /**
   * Captioned photos other than Pascal's (the reference set, photos imported
   * with captions): a caption-target word model trains on them too. No category.
   */
  async otherCaptionedImages(): Promise<{ id: string; captions: string[]; features: Float32Array }[]> {
    const result = await this.primary.query<{ id: string; captions: string[]; features: number[] }>(
      `SELECT id, captions, features FROM images WHERE source <> 'pascal' AND cardinality(captions) > 0 ORDER BY id`,
    );
    return result.rows.map((row) => ({ ...row, features: toFloat32(row.features) }));
  }

  /**
   * The next page of what trainingImages and otherCaptionedImages read, by id
   * (others with category ''): a retraining in a serving process reads them
   * in short statements.
   */
  async trainingPage(afterId: string, limit: number): Promise<(TrainingImageRow & { pascal: boolean })[]> {
    const result = await this.primary.query<VectorColumn<TrainingImageRow & { pascal: boolean }, 'features'>>(
      `SELECT id, coalesce(category, '') AS category, captions, features, source = 'pascal' AS pascal FROM images
       WHERE id > $1 AND ((source = 'pascal' AND category IS NOT NULL) OR (source <> 'pascal' AND cardinality(captions) > 0))
       ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return result.rows.map((row) => ({ ...row, features: toFloat32(row.features) }));
  }

  /** The next page of every image's features, by id (projected again under a new model). */
  async featuresAfter(afterId: string, limit: number): Promise<{ id: string; features: Float32Array }[]> {
    const result = await this.primary.query<{ id: string; features: number[] }>(
      'SELECT id, features FROM images WHERE id > $1 ORDER BY id LIMIT $2',
      [afterId, limit],
    );
    return result.rows.map((row) => ({ id: row.id, features: toFloat32(row.features) }));
  }

  async countUnprojected(): Promise<number> {
    return countOf(this.primary, 'SELECT count(*)::int AS n FROM images WHERE word_embedding IS NULL');
  }

  /** The next images without a word-space vector, with their image features. */
  async unprojected(limit: number): Promise<{ id: string; features: Float32Array }[]> {
    const result = await this.primary.query<{ id: string; features: number[] }>(
      'SELECT id, features FROM images WHERE word_embedding IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: row.id, features: toFloat32(row.features) }));
  }

  /** The tag words a photo keeps from its transfer hold distances to this vector (migrations/016): written again with it. */
  async setWordEmbeddings(ids: readonly string[], vectors: readonly Float32Array[]): Promise<void> {
    await withTransaction(this.primary, async (client) => {
      await client.query(
        `UPDATE images SET word_embedding = t.vector
         FROM unnest($1::text[], $2::vector[]) AS t(id, vector) WHERE images.id = t.id`,
        [ids, vectors.map(vectorParam)],
      );
      await fillTagWords(client, ids);
    });
  }

  /** A new model makes every stored vector stale, and the tag words measured from them (migrations/016). */
  async clearWordEmbeddings(): Promise<void> {
    await this.primary.query(
      'UPDATE images SET word_embedding = NULL, transfer_tag_words = NULL WHERE word_embedding IS NOT NULL OR transfer_tag_words IS NOT NULL',
    );
  }

  async saveSplit(trainIds: readonly string[], heldOutIds: readonly string[]): Promise<void> {
    await withTransaction(this.primary, async (client) => {
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
}

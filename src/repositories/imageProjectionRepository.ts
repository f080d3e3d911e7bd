// All SQL about the learned image projection: the current fit, and the stored
// vectors it makes.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { countOf } from './queryRunner.js';
import { toFloat32, vectorParam } from './sqlParams.js';

interface ProjectionRow {
  version: string;
  dims: number;
  out_dims: number;
  mean: number[];
  weights: number[];
  basis: number[];
  weight: number;
}

/** A fitted image projection as stored: the model layer's ImageProjection has this shape. */
export interface StoredImageProjection {
  version: string;
  lda: { mean: Float64Array; weights: Float64Array; dims: number; outDims: number };
  basis: Float64Array;
  weight: number;
}

export interface ProjectableImage {
  id: string;
  features: Float32Array;
}

export class ImageProjectionRepository {
  constructor(private readonly primary: pg.Pool) {}

  /** The current fit; null when none is stored (vectors are the plain features). */
  async current(): Promise<StoredImageProjection | null> {
    const result = await this.primary.query<ProjectionRow>(
      'SELECT version, dims, out_dims, mean, weights, basis, weight FROM image_projection',
    );
    const row = result.rows[0];
    if (!row) return null;
    return {
      version: row.version,
      lda: { mean: Float64Array.from(row.mean), weights: Float64Array.from(row.weights), dims: row.dims, outDims: row.out_dims },
      basis: Float64Array.from(row.basis),
      weight: row.weight,
    };
  }

  async currentVersion(): Promise<string | null> {
    const result = await this.primary.query<{ version: string }>('SELECT version FROM image_projection');
    return result.rows[0]?.version ?? null;
  }

  /** Replaces the fit; images not re-projected yet are the ones whose version differs. */
  async save(projection: StoredImageProjection | null): Promise<void> {
    await withTransaction(this.primary, async (client) => {
      await client.query('DELETE FROM image_projection');
      if (!projection) return;
      const { lda } = projection;
      await client.query(
        `INSERT INTO image_projection (version, dims, out_dims, mean, weights, basis, weight)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [projection.version, lda.dims, lda.outDims, [...lda.mean], [...lda.weights], [...projection.basis], projection.weight],
      );
    });
  }

  /** Images whose vector was made by another fit (or none), after `afterId` in id order. */
  async stale(version: string | null, afterId: string, limit: number): Promise<ProjectableImage[]> {
    const result = await this.primary.query<{ id: string; features: number[] }>(
      `SELECT id, features FROM images
       WHERE projection_version IS DISTINCT FROM $1 AND id > $2 ORDER BY id LIMIT $3`,
      [version, afterId, limit],
    );
    return result.rows.map((row) => ({ id: row.id, features: toFloat32(row.features) }));
  }

  async countStale(version: string | null): Promise<number> {
    return countOf(this.primary, 'SELECT count(*)::int AS n FROM images WHERE projection_version IS DISTINCT FROM $1', [
      version,
    ]);
  }

  async setEmbeddings(version: string | null, rows: readonly { id: string; embedding: Float32Array }[]): Promise<void> {
    await this.primary.query(
      `UPDATE images SET embedding = t.embedding, projection_version = $3
       FROM unnest($1::text[], $2::vector[]) AS t(id, embedding) WHERE images.id = t.id`,
      [rows.map((row) => row.id), rows.map((row) => vectorParam(row.embedding)), version],
    );
  }
}

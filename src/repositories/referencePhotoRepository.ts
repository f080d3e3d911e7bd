// The SQL of reference photos as a set (migrations/014): listing and removing them all.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';

export class ReferencePhotoRepository {
  constructor(private readonly primary: pg.Pool) {}

  /** A page of reference photos' ids in id order after `afterId`. */
  async idsAfter(afterId: string, limit: number): Promise<string[]> {
    const result = await this.primary.query<{ id: string }>('SELECT id FROM images WHERE reference AND id > $1 ORDER BY id LIMIT $2', [
      afterId,
      limit,
    ]);
    return result.rows.map((row) => row.id);
  }

  /**
   * Deletes these reference photos (their bytes and pairs by cascade), the
   * photos whose transfer used one of them marked stale first (a transfer's
   * neighbours are exactly what it used). Not recorded as deleted: loading
   * the reference set again brings them back. Returns how many went.
   */
  async delete(ids: readonly string[]): Promise<number> {
    return withTransaction(this.primary, async (client) => {
      await client.query(
        `UPDATE images SET transfer_radius = NULL
         WHERE transfer_radius IS NOT NULL AND transfer_neighbours && $1::text[] AND NOT reference`,
        [ids],
      );
      const result = await client.query('DELETE FROM images WHERE id = ANY($1::text[]) AND reference', [ids]);
      return result.rowCount ?? 0;
    });
  }
}

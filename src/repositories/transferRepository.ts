// The caption transfer phase's SQL (migrations/008): stale photos counted and
// refreshed (transferred vector, radius, neighbours, votes, tag words), caption
// words recomputed, missing tag words filled. What other writes run to keep it current is in transferUpkeep.ts.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { countOf } from './queryRunner.js';
import { toArrayLiteral, toFloat32, vectorParam } from './sqlParams.js';
import { fillCaptionEmbeddings, fillMissingTagWords, fillTagWords } from './transferUpkeep.js';

export interface NeighbourRow {
  id: string;
  distance: number;
  captionEmbedding: Float32Array;
  captionWords: string[];
  captionCount: number;
}

export interface TransferRow {
  vector: Float32Array | null;
  /** Distance to the farthest neighbour used; Infinity while fewer than k exist. */
  radius: number;
  /** Text search's word votes, as transfer_votes keeps them. */
  votes: readonly (readonly [word: string, vote: number])[];
}

/** Computes each photo's transfer from its nearest captioned photos (nearest first). */
export type ComputeTransfer = (neighbours: NeighbourRow[]) => TransferRow;

/** Each photo's k nearest captioned photos but itself, through the index of captioned photos. */
const NEIGHBOURS = `
  SELECT i.id, n.id AS "neighbourId", n.distance, n.caption_embedding AS "captionEmbedding",
         n.caption_words AS "captionWords", cardinality(n.captions) AS "captionCount"
  FROM images i CROSS JOIN LATERAL (
    SELECT c.id, c.caption_embedding, c.caption_words, c.captions, c.embedding <=> i.embedding AS distance FROM images c
    WHERE c.caption_embedding IS NOT NULL AND c.id <> i.id
    ORDER BY c.embedding <=> i.embedding LIMIT $2
  ) n
  WHERE i.id = ANY($1::text[])
  ORDER BY i.id, n.distance`;

/** Where each neighbour's caption words end in their concatenation. */
function captionEnds(neighbours: readonly NeighbourRow[]): number[] {
  let end = 0;
  return neighbours.map((n) => (end += n.captionWords.length));
}

export class TransferRepository {
  constructor(private readonly primary: pg.Pool) {}

  async countStale(): Promise<number> {
    return countOf(this.primary, 'SELECT count(*)::int AS n FROM images WHERE transfer_radius IS NULL AND NOT reference');
  }

  /** A page of captioned photos in id order after `afterId` (to compute their caption words again). */
  async captionsAfter(afterId: string, limit: number): Promise<{ id: string; captions: string[] }[]> {
    const result = await this.primary.query<{ id: string; captions: string[] }>(
      `SELECT id, captions FROM images WHERE id > $1 AND cardinality(captions) > 0 ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return result.rows;
  }

  async setCaptionWords(ids: readonly string[], words: readonly (readonly string[])[]): Promise<void> {
    await this.primary.query(
      `UPDATE images SET caption_words = t.words::text[]
       FROM unnest($1::text[], $2::text[]) AS t(id, words) WHERE images.id = t.id`,
      [ids, words.map(toArrayLiteral)],
    );
  }

  /**
   * A page of photos in id order after `afterId`: their caption vectors again
   * (after the words are loaded) and their transfers stale. Returns the page's
   * last id, or undefined past the end. A page at a time, so that the
   * embedded store answers questions between pages.
   */
  async resetPageAfter(afterId: string, limit: number): Promise<string | undefined> {
    return withTransaction(this.primary, async (client) => {
      const page = await client.query<{ id: string }>('SELECT id FROM images WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
      const ids = page.rows.map((row) => row.id);
      if (ids.length === 0) return undefined;
      await fillCaptionEmbeddings(client, ids);
      await client.query('UPDATE images SET transfer_radius = NULL WHERE id = ANY($1::text[]) AND NOT reference', [ids]);
      return ids.at(-1);
    });
  }

  /**
   * Tag words (migrations/016) for up to `limit` transferred photos that lack
   * them (a store from before them, a new tag vocabulary); returns how many.
   */
  async fillMissingTagWords(limit: number): Promise<number> {
    return withTransaction(this.primary, (client) => fillMissingTagWords(client, limit));
  }

  /**
   * Recomputes up to `limit` stale photos in one transaction; returns how many.
   * Their rows are locked first, so a write that marks one of them stale
   * meanwhile waits, and its own refresh sees both writes.
   */
  async refreshStale(limit: number, neighbours: number, efSearch: number, compute: ComputeTransfer): Promise<number> {
    return withTransaction(this.primary, async (client) => {
      const stale = await client.query<{ id: string }>(
        // Reference photos need no transfer of their own (migrations/014).
        'SELECT id FROM images WHERE transfer_radius IS NULL AND NOT reference ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [limit],
      );
      const ids = stale.rows.map((row) => row.id);
      if (ids.length === 0) return 0;
      await client.query(`SET LOCAL hnsw.ef_search = ${Math.trunc(Math.max(efSearch, neighbours))}`);
      const rows = await client.query<Omit<NeighbourRow, 'id' | 'captionEmbedding'> & { id: string; neighbourId: string; captionEmbedding: number[] }>(NEIGHBOURS, [
        ids,
        neighbours,
      ]);
      const byId = new Map<string, NeighbourRow[]>(ids.map((id) => [id, []]));
      for (const row of rows.rows) {
        const { neighbourId, captionEmbedding, captionWords, captionCount, distance } = row;
        byId.get(row.id)!.push({ id: neighbourId, distance, captionEmbedding: toFloat32(captionEmbedding), captionWords, captionCount });
      }
      const neighboursOf = ids.map((id) => byId.get(id)!);
      const results = neighboursOf.map(compute);
      // The neighbours go in as array literals: unnest would flatten a text[][] of ragged rows.
      // Their caption words go into the row too (migrations/012): tagsForImage reads the row anyway.
      const literal = (values: readonly (string | number)[]) => toArrayLiteral(values.map(String));
      await client.query(
        `UPDATE images SET transfer_embedding = t.vector, transfer_radius = t.radius,
                transfer_neighbours = t.neighbours::text[], transfer_distances = t.distances::float8[],
                transfer_caption_words = t.words::text[], transfer_caption_ends = t.ends::int[],
                transfer_caption_counts = t.counts::int[]
         FROM unnest($1::text[], $2::vector[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS t(id, vector, radius, neighbours, distances, words, ends, counts)
         WHERE images.id = t.id`,
        [
          ids,
          results.map((r) => r.vector && vectorParam(r.vector)),
          results.map((r) => r.radius),
          neighboursOf.map((n) => literal(n.map((x) => x.id))),
          neighboursOf.map((n) => literal(n.map((x) => x.distance))),
          neighboursOf.map((n) => literal(n.flatMap((x) => x.captionWords))),
          neighboursOf.map((n) => literal(captionEnds(n))),
          neighboursOf.map((n) => literal(n.map((x) => x.captionCount))),
        ],
      );
      await client.query('DELETE FROM transfer_votes WHERE image_id = ANY($1::text[])', [ids]);
      const votes = results.flatMap((r, i) => r.votes.map(([word, vote]) => [ids[i]!, word, vote] as const));
      await client.query(
        'INSERT INTO transfer_votes (image_id, word, vote) SELECT * FROM unnest($1::text[], $2::text[], $3::real[])',
        [votes.map((v) => v[0]), votes.map((v) => v[1]), votes.map((v) => v[2])],
      );
      // What tagsForImage reads of the transfer, ready to serve (migrations/016).
      await fillTagWords(client, ids);
      return ids.length;
    });
  }
}

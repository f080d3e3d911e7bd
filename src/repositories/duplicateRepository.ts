// All SQL about duplicates: groups of copies read from the stored pairs, and
// the backfill of hashes and pairs for photos stored before them.
import type pg from 'pg';
import type { PerceptualHashes } from '../embedding/index.js';
import { withTransaction } from '../lib/transaction.js';
import { COLUMNS, type ImageRecord } from './imageColumns.js';
import { linkDuplicates } from './duplicateUpkeep.js';

/** A member of a duplicate group, compared with the group's first member (the largest photo). */
export interface DuplicateMemberRow extends ImageRecord {
  /** The group's id: its smallest image id. */
  groupId: string;
  /** 1 for the group's first member, then by size, age and id. */
  position: number;
  /** Cosine distance of its features to the first member's. */
  distance: number;
  /** dHash bits that differ from the first member's, the nearer of plain and mirrored. */
  hashDistance: number;
  /** The nearer hash is the first member's mirrored one. */
  mirrored: boolean;
  /** The same decoded pixels as the first member's. */
  samePixels: boolean;
}

/**
 * Groups are the connected pairs within `$3` (features distance) or of the
 * same pixels, each named
 * by its smallest id: every member reaches it, and only a photo smaller than
 * all its partners can be one, so the walk starts from those alone. A page:
 * the `$2` groups after `$1` by that id, with their members, the largest
 * photo first (then the oldest, then by id). Pairs with a reference photo
 * count only when `$4` asks for reference photos.
 */
const GROUPS = `
  WITH RECURSIVE pair AS MATERIALIZED (
    SELECT image_id, duplicate_id FROM image_duplicates d
    WHERE (feature_distance <= $3 OR same_pixels)
      AND ($4::boolean OR NOT EXISTS (
        SELECT 1 FROM images r WHERE r.id IN (d.image_id, d.duplicate_id) AND r.reference))
  ),
  edge AS MATERIALIZED (
    SELECT image_id AS a, duplicate_id AS b FROM pair
    UNION ALL
    SELECT duplicate_id, image_id FROM pair
  ),
  reach(root, node) AS (
    SELECT a, a FROM edge GROUP BY a HAVING a < min(b)
    UNION
    SELECT reach.root, edge.b FROM reach JOIN edge ON edge.a = reach.node
  ),
  grouped AS (SELECT node, min(root) AS group_id FROM reach GROUP BY node),
  page AS (
    SELECT DISTINCT group_id FROM grouped WHERE $1::text IS NULL OR group_id > $1 ORDER BY group_id LIMIT $2
  ),
  members AS (
    SELECT grouped.group_id, i.*,
           row_number() OVER w AS position,
           first_value(i.features) OVER w AS first_features,
           first_value(i.dhash) OVER w AS first_hash,
           first_value(i.dhash_mirrored) OVER w AS first_mirrored,
           first_value(i.pixel_hash) OVER w AS first_pixels
    FROM grouped JOIN page USING (group_id) JOIN images i ON i.id = grouped.node
    WINDOW w AS (PARTITION BY grouped.group_id ORDER BY i.width * i.height DESC, i.created_at, i.id)
  )
  SELECT ${COLUMNS}, group_id AS "groupId", position::int AS position, features <=> first_features AS distance,
         least(bit_count(dhash # first_hash), bit_count(dhash # first_mirrored))::int AS "hashDistance",
         bit_count(dhash # first_mirrored) < bit_count(dhash # first_hash) AS mirrored,
         pixel_hash = first_pixels AS "samePixels"
  FROM members ORDER BY group_id, position`;

export class DuplicateRepository {
  constructor(
    private readonly primary: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  /** Up to `first` groups after the group `afterGroupId`, in group id order, their members in order. */
  async groups(first: number, afterGroupId: string | null, maxFeatureDistance: number, includeReference = false): Promise<DuplicateMemberRow[]> {
    const result = await this.reader.query<DuplicateMemberRow>(GROUPS, [afterGroupId, first, maxFeatureDistance, includeReference]);
    return result.rows;
  }

  /** Photos stored before perceptual hashes, after `afterId` in id order, with their bytes. */
  async unhashed(afterId: string, limit: number): Promise<{ id: string; bytes: Buffer }[]> {
    const result = await this.primary.query<{ id: string; bytes: Buffer }>(
      `SELECT i.id, f.bytes FROM images i JOIN image_files f ON f.image_id = i.id
       WHERE i.dhash IS NULL AND i.id > $1 ORDER BY i.id LIMIT $2`,
      [afterId, limit],
    );
    return result.rows;
  }

  /** Their hashes stored and their pairs found, in one transaction. */
  async setHashes(rows: readonly { id: string; hashes: PerceptualHashes }[]): Promise<void> {
    if (rows.length === 0) return;
    await withTransaction(this.primary, async (client) => {
      await client.query(
        `UPDATE images SET dhash = t.hash::bit(64), dhash_mirrored = t.mirrored::bit(64), pixel_hash = t.pixels
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, hash, mirrored, pixels) WHERE images.id = t.id`,
        [rows.map((row) => row.id), rows.map((row) => row.hashes.hash), rows.map((row) => row.hashes.mirrored), rows.map((row) => row.hashes.pixels)],
      );
      await linkDuplicates(client, rows.map((row) => row.id));
    });
  }
}

// The statement that keeps the duplicate pairs (migrations/013) current
// inside other writes' transactions: a stored photo compared with its nearest
// photos by features and perceptual hash.
import type pg from 'pg';
import { DUPLICATES } from '../embedding/index.js';

/**
 * For each photo `$1`: its `$2` nearest other photos of the owner's by
 * searched vector (their HNSW index, migrations/014: a reference photo is
 * paired with the owner's photos stored before it, never with another
 * reference photo), kept as a pair when their pixels are the same, or their
 * features are within `$3` and their hashes (the nearer of plain and
 * mirrored) within `$4` bits.
 */
const LINK_DUPLICATES = `
  INSERT INTO image_duplicates (image_id, duplicate_id, feature_distance, hash_distance, same_pixels)
  SELECT least(n.id, c.id), greatest(n.id, c.id), c.feature_distance, c.hash_distance, c.pixel_hash = n.pixel_hash
  FROM images n CROSS JOIN LATERAL (
    SELECT o.id, o.pixel_hash, o.features <=> n.features AS feature_distance,
           least(bit_count(o.dhash # n.dhash), bit_count(o.dhash # n.dhash_mirrored))::int AS hash_distance
    FROM images o WHERE o.id <> n.id AND NOT o.reference
    ORDER BY o.embedding <=> n.embedding LIMIT $2
  ) c
  WHERE n.id = ANY($1::text[]) AND n.dhash IS NOT NULL
    AND (c.pixel_hash = n.pixel_hash OR (c.feature_distance <= $3 AND c.hash_distance <= $4))
  ON CONFLICT DO NOTHING`;

/** Inside a write's transaction, after photos `ids` were stored with their hashes: their pairs with the stored photos. */
export async function linkDuplicates(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query(LINK_DUPLICATES, [ids, DUPLICATES.candidates, DUPLICATES.maxFeatureDistance, DUPLICATES.maxHashDistance]);
}

/** Inside a re-embedding's transaction: the pairs of photos whose features changed, found again. */
export async function relinkDuplicates(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query('DELETE FROM image_duplicates WHERE image_id = ANY($1::text[]) OR duplicate_id = ANY($1::text[])', [ids]);
  await linkDuplicates(client, ids);
}

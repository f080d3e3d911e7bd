// The image searches' SQL: nearest images to a vector or to stored images,
// over the HNSW index or an exact scan of a category.
import { COLUMNS } from './imageColumns.js';
import type { HotQuery } from './queryRunner.js';

export type QueryTarget = 'vector' | 'stored';

/** An image's answered columns as a scan reads them, for an outer query to select COLUMNS from. */
export const SCANNED_COLUMNS = 'id, category, captions, width, height, content_hash, source, reference, created_at';

/**
 * Which photos a search returns: the owner's alone (the default, through the
 * indexes of owned photos, migrations/014) or reference photos as well.
 */
export type PhotoScope = 'owned' | 'withReference';

/** The condition a statement of `scope` filters by (a constant, so the partial indexes apply), or none. */
export const scopeCondition = (scope: PhotoScope, table = '') => (scope === 'owned' ? `NOT ${table}reference` : '');

/**
 * The nearest-image queries, prepared per connection. Parameters: $1 the query
 * (a vector, or a stored image's id), $2 what to leave out (for a vector: the
 * content hash of its image; for a stored image: its id), $3 the largest
 * distance, $4 first, $5 candidates to take from the scan, $6 the category.
 * A page after a match (`after`): $6 its distance, $7 its id, $8 the category;
 * only images after it in (distance, id) order are scanned, so an index scan
 * (iterative, strict order) walks on past the first page's candidates.
 */
function nearestQueries(target: QueryTarget, after: boolean, scope: PhotoScope) {
  const nearTo = target === 'vector' ? '$1::vector' : '(SELECT embedding FROM images WHERE id = $1)';
  const leftOut = target === 'vector' ? 'content_hash' : 'id';
  const category = after ? '$8' : '$6';
  const suffix = `${after ? '_after' : ''}${scope === 'owned' ? '' : '_with_reference'}`;
  const owned = scopeCondition(scope);
  // After (d, id): further than d, or as far with a larger id (ties are ordered by id).
  const keyset = after ? `((embedding <=> ${nearTo}) > $6::float8 OR ((embedding <=> ${nearTo}) = $6::float8 AND id > $7::text))` : '';
  // The scan's rows, filtered: `FROM images` as it was when nothing filters.
  const from = (table: string, ...conditions: string[]) => {
    const all = [...conditions, owned, keyset].filter(Boolean);
    return all.length > 0 ? `FROM ${table} WHERE ${all.join(' AND ')}` : `FROM ${table}`;
  };
  const query = (scan: string, candidates: string): HotQuery => ({
    name: `images_nearest_${target}_${scan}${suffix}`,
    // distance is null only for an unknown stored id: no rows then.
    text: `SELECT ${COLUMNS}, distance FROM (${candidates}) nearest
           WHERE distance IS NOT NULL AND ($2::text IS NULL OR ${leftOut} <> $2)
             AND ($3::float8 IS NULL OR distance <= $3)
           ORDER BY distance, id LIMIT $4`,
  });
  // Only the answered columns, not the vectors: a scan sorts every row it reads.
  // ORDER BY the alias, not the expression again: a second copy of a stored
  // target is a second subquery, and every row's distance would be computed twice.
  const scored = `SELECT ${SCANNED_COLUMNS}, embedding <=> ${nearTo} AS distance`;
  return {
    index: query('index', `${scored} ${from('images')} ORDER BY distance LIMIT $5`),
    // pgvector 0.8 iterative scans keep walking the graph until enough rows pass the filter.
    indexInCategory: query('index_in_category', `${scored} ${from('images', `category = ${category}`)} ORDER BY distance LIMIT $5`),
    // MATERIALIZED hides the rows from the HNSW index: an exact scan of the category.
    exactInCategory: query(
      'exact_in_category',
      `WITH in_category AS MATERIALIZED (SELECT * FROM images WHERE category = ${category})
       ${scored} ${from('in_category')} ORDER BY distance LIMIT $5`,
    ),
  };
}
const nearestOf = (after: boolean, scope: PhotoScope) => ({
  vector: nearestQueries('vector', after, scope),
  stored: nearestQueries('stored', after, scope),
});
export const NEAREST = { owned: nearestOf(false, 'owned'), withReference: nearestOf(false, 'withReference') };
export const NEAREST_AFTER = { owned: nearestOf(true, 'owned'), withReference: nearestOf(true, 'withReference') };

/**
 * Image.similar of many stored images in one statement: each parent's own
 * index search (the same as NEAREST.stored.index), run per row of the list
 * by a LATERAL join. $1 the parents' ids, $2 first, $3 candidates per parent;
 * `ord` says whose a row is (1-based). No rows for an unknown id.
 */
function nearestToStoredMany(scope: PhotoScope): HotQuery {
  const owned = scopeCondition(scope);
  return {
    name: `images_nearest_stored_many${scope === 'owned' ? '' : '_with_reference'}`,
    text: `SELECT parent.ord::int AS ord, nearest.* FROM unnest($1::text[]) WITH ORDINALITY AS parent(image_id, ord)
           CROSS JOIN LATERAL (
             SELECT ${COLUMNS}, distance FROM (
               SELECT ${SCANNED_COLUMNS}, embedding <=> (SELECT embedding FROM images WHERE id = parent.image_id) AS distance
               FROM images ${owned ? `WHERE ${owned}` : ''} ORDER BY distance LIMIT $3
             ) candidates
             WHERE distance IS NOT NULL AND id <> parent.image_id
             ORDER BY distance, id LIMIT $2
           ) nearest
           ORDER BY parent.ord, nearest.distance, nearest.id`,
  };
}
export const NEAREST_TO_STORED_MANY = { owned: nearestToStoredMany('owned'), withReference: nearestToStoredMany('withReference') };

// The statements that keep caption transfer (migrations/008) current inside
// other writes' transactions: a written photo's caption vector, the photos
// whose transfer it changes marked stale, and the tag words a photo keeps
// from its transfer (migrations/016) written again.
import type pg from 'pg';

/**
 * A captioned photo's caption vector: the normalised sum of its caption
 * words' unit GloVe vectors (a word once per caption using it). NULL when no
 * word is known (or the words are not loaded yet: the transfer phase fills it).
 */
const FILL_CAPTION_EMBEDDINGS = `
  UPDATE images i SET caption_embedding = (
    SELECT l2_normalize(sum(l2_normalize(w.embedding))) FROM unnest(i.caption_words) AS word JOIN words w ON w.text = word
  ) WHERE i.id = ANY($1::text[])`;

/**
 * Marks stale (radius NULL) every other photo that has one of the photos `$1`
 * (captioned, or all of them with $2 false) within its radius: among its k
 * nearest captioned photos now, or it would be once captioned.
 */
const MARK_NEIGHBOURS_STALE = `
  UPDATE images o SET transfer_radius = NULL
  FROM images n
  WHERE n.id = ANY($1::text[]) AND (NOT $2::boolean OR n.caption_embedding IS NOT NULL)
    AND o.id <> ALL($1::text[]) AND o.transfer_radius IS NOT NULL
    AND (o.embedding <=> n.embedding) <= o.transfer_radius`;

/**
 * Inside a write's transaction, after photos `ids` were stored or their
 * captions changed: their caption vectors, and the photos they change marked
 * stale (for new photos, only captioned ones change others: `captionedOnly`).
 */
export async function captionsWritten(client: pg.ClientBase, ids: readonly string[], captionedOnly: boolean): Promise<void> {
  if (ids.length === 0) return;
  await client.query(FILL_CAPTION_EMBEDDINGS, [ids]);
  await markNeighboursStale(client, ids, captionedOnly);
}

/** Inside a deletion's transaction, before the rows go: the photos whose transfer used them, marked stale. */
export async function markNeighboursStale(client: pg.ClientBase, ids: readonly string[], captionedOnly: boolean): Promise<void> {
  if (ids.length > 0) await client.query(MARK_NEIGHBOURS_STALE, [ids, captionedOnly]);
}

/** These photos' caption vectors again (after the words are loaded). */
export async function fillCaptionEmbeddings(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  await client.query(FILL_CAPTION_EMBEDDINGS, [ids]);
}

/**
 * Photos `$1`'s transfer_tag_words (migrations/016) from what they depend on:
 * the stored transfer's neighbours and their caption words, the photo's own
 * caption words, its word_embedding and tag_words. The places and shares are
 * those tagsForImage computed from the same rows (neighbours by distance, then
 * id; -1 the photo's own captions); NULL while the transfer or the word-space
 * vector is missing.
 */
const FILL_TAG_WORDS = `
  UPDATE images g SET transfer_tag_words = CASE
    WHEN g.transfer_radius IS NOT NULL AND g.transfer_caption_words IS NOT NULL AND g.word_embedding IS NOT NULL THEN (
      WITH neighbours AS (
        SELECT n.id, n.distance, n.captions,
               g.transfer_caption_words[coalesce(g.transfer_caption_ends[n.i - 1], 0) + 1 : g.transfer_caption_ends[n.i]] AS words,
               (row_number() OVER (ORDER BY n.distance, n.id COLLATE "C") - 1)::int AS place
        FROM unnest(g.transfer_neighbours, g.transfer_distances, g.transfer_caption_counts) WITH ORDINALITY AS n(id, distance, captions, i)
      ),
      uses AS (
        SELECT s.place, u.word, count(*)::float8 / s.captions AS share
        FROM (SELECT place, words, captions FROM neighbours
              UNION ALL
              SELECT -1, g.caption_words, cardinality(g.captions) WHERE cardinality(g.captions) > 0) s
        CROSS JOIN LATERAL unnest(s.words) AS u(word)
        GROUP BY s.place, s.captions, u.word
      ),
      voted AS (
        SELECT w.text, w.tag, w.synonyms, w.embedding <=> g.word_embedding AS distance,
               array_agg(u.place ORDER BY u.place) AS places, array_agg(u.share ORDER BY u.place) AS shares
        FROM uses u JOIN tag_words w ON w.text = u.word
        GROUP BY w.text
      )
      SELECT jsonb_build_object(
               'neighbourIds', (SELECT coalesce(jsonb_agg(id ORDER BY place), '[]') FROM neighbours),
               'neighbourDistances', (SELECT coalesce(jsonb_agg(distance ORDER BY place), '[]') FROM neighbours),
               'texts', coalesce(jsonb_agg(v.text ORDER BY v.text), '[]'),
               'tags', coalesce(jsonb_agg(v.tag ORDER BY v.text), '[]'),
               'distances', coalesce(jsonb_agg(v.distance ORDER BY v.text), '[]'),
               'synonyms', coalesce(jsonb_agg(v.synonyms ORDER BY v.text), '[]'),
               'places', coalesce(jsonb_agg(v.places ORDER BY v.text), '[]'),
               'shares', coalesce(jsonb_agg(v.shares ORDER BY v.text), '[]'))::json
      FROM voted v)
  END
  WHERE g.id = ANY($1::text[])`;

/** Inside a write's transaction: photos `ids`' tag words from their transfer, captions and word-space vectors as they now are. */
export async function fillTagWords(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await client.query(FILL_TAG_WORDS, [ids]);
}

/** The tag words of up to `limit` photos that have a transfer and a word-space vector but none (yet); returns how many. */
export async function fillMissingTagWords(client: pg.ClientBase, limit: number): Promise<number> {
  const missing = await client.query<{ id: string }>(
    `SELECT id FROM images
     WHERE transfer_tag_words IS NULL AND transfer_radius IS NOT NULL AND transfer_caption_words IS NOT NULL AND word_embedding IS NOT NULL
     ORDER BY id LIMIT $1`,
    [limit],
  );
  await fillTagWords(client, missing.rows.map((row) => row.id));
  return missing.rows.length;
}

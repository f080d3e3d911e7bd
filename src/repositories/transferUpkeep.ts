// The statements that keep caption transfer (migrations/008) current inside
// other writes' transactions: a written photo's caption vector, and the
// photos whose transfer it changes marked stale.
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

// The SQL of tags as the API serves them: each image's tag evidence (the
// model's nearest vocabulary words, its captioned neighbours' words), and
// whether an image is in word space yet.
import type pg from 'pg';
import { queryWithHnsw, type HotQuery } from './queryRunner.js';
import { toFloat32, vectorParam } from './sqlParams.js';
import type { TagRow } from './tagRows.js';

export interface ImageTagRow extends TagRow {
  imageId: string;
}

/** A vocabulary word in the captions of an image's nearest captioned photos or its own (caption transfer); no vector. */
export interface VotedWordRow extends Omit<ImageTagRow, 'vector'> {
  vector: null;
  /** Places of the neighbours using it, nearest first from 0; -1: the photo's own captions. */
  neighbours: number[];
  /** The share of each one's captions using it. */
  shares: number[];
  /** All the image's neighbours' distances, nearest first. */
  neighbourDistances: number[];
  /** Their ids, in the same order. */
  neighbourIds: string[];
}

/** What tags are made of, per image: the model's nearest vocabulary words and the captions' words. */
export interface TagEvidenceRows {
  model: ImageTagRow[];
  voted: VotedWordRow[];
}

/**
 * Everything tags need, in one statement (the embedded store answers one at a
 * time, and each round trip costs about as much as a small query), as rows
 * of four kinds:
 *   'stored'   a stored image's k nearest captioned photos as its transfer
 *              keeps them in its row (migrations/012): their ids, distances,
 *              caption words concatenated, where each one's words end and
 *              their caption counts; no join at query time;
 *   'captions' for an image without a current transfer (seeding, new bytes),
 *              the captions of its k nearest captioned photos through the
 *              index of captioned photos (place 0 the nearest, with its
 *              distance; the image's own bytes left out); and for a stored
 *              image, its own (place -1);
 *   'model'    the image → word model's nearest vocabulary words (the tag
 *              index), with their vectors;
 *   'voted'    the vocabulary words those captions use, with their distance
 *              to the image's word-space vector.
 * $2 k, $3 model candidates. Stored images: $1 their ids. New bytes: $1 the
 * image vector, $4 its word-space vector, $5 its content hash.
 */
function tagEvidenceQuery(target: 'stored' | 'storedOne' | 'vector'): HotQuery {
  const targets =
    target !== 'vector'
      ? `SELECT id, embedding, word_embedding, content_hash, caption_words, cardinality(captions) AS captions,
                transfer_neighbours, transfer_distances, transfer_caption_words, transfer_caption_ends, transfer_caption_counts,
                transfer_radius IS NOT NULL AND transfer_caption_words IS NOT NULL AS transferred
         FROM images WHERE id = ANY($1::text[]) AND word_embedding IS NOT NULL`
      : `SELECT ''::text AS id, $1::vector AS embedding, $4::vector AS word_embedding, $5::text AS content_hash,
                '{}'::text[] AS caption_words, 0 AS captions, NULL::text[] AS transfer_neighbours,
                NULL::float8[] AS transfer_distances, NULL::text[] AS transfer_caption_words,
                NULL::int[] AS transfer_caption_ends, NULL::int[] AS transfer_caption_counts, false AS transferred`;
  // One image: its vectors as constants (init plans), which an index scan
  // compares ten times faster than a vector taken from the outer row.
  const [imageVector, wordVector] =
    target === 'storedOne'
      ? ['(SELECT embedding FROM images WHERE id = ($1::text[])[1])', '(SELECT word_embedding FROM images WHERE id = ($1::text[])[1])']
      : ['g.embedding', 'g.word_embedding'];
  return {
    name: `tag_evidence_${target}`,
    text: `WITH targets AS MATERIALIZED (${targets}),
           sources AS MATERIALIZED (
             SELECT n.image_id, n.place, n.distance, c.caption_words AS words, cardinality(c.captions) AS captions, c.id AS source_id
             FROM (
               SELECT g.id AS image_id, n.id, n.distance,
                      (row_number() OVER (PARTITION BY g.id ORDER BY n.distance, n.id) - 1)::int AS place
               FROM targets g CROSS JOIN LATERAL (
                 -- Only the distance while scanning: the captions are read for the k neighbours alone.
                 SELECT id, embedding <=> ${imageVector} AS distance
                 FROM images WHERE caption_embedding IS NOT NULL AND content_hash IS DISTINCT FROM g.content_hash
                 ORDER BY distance LIMIT $2
               ) n
               WHERE NOT g.transferred
             ) n
             JOIN images c ON c.id = n.id
             UNION ALL
             SELECT id, -1, NULL, caption_words, captions, id FROM targets WHERE captions > 0
           )
           SELECT 'captions' AS kind, image_id AS "imageId", place, distance, words, captions,
                  NULL::text AS text, NULL::text AS tag, NULL::text[] AS synonyms, NULL::vector AS vector,
                  ARRAY[source_id] AS ids, NULL::float8[] AS distances, NULL::int[] AS ends, NULL::int[] AS counts
           FROM sources
           UNION ALL
           SELECT 'stored', id, NULL, NULL, transfer_caption_words, NULL, NULL, NULL, NULL, NULL,
                  transfer_neighbours, transfer_distances, transfer_caption_ends, transfer_caption_counts
           FROM targets WHERE transferred
           UNION ALL
           SELECT 'model', g.id, NULL, t.distance, NULL, NULL, t.text, t.tag, t.synonyms, t.embedding, NULL, NULL, NULL, NULL
           FROM targets g CROSS JOIN LATERAL (
             SELECT text, tag, synonyms, embedding, embedding <=> ${wordVector} AS distance FROM tag_words
             ORDER BY distance LIMIT $3
           ) t
           UNION ALL
           -- One index scan per image for all its caption words (the scan folds repeated words).
           SELECT 'voted', g.id, NULL, w.embedding <=> g.word_embedding, NULL, NULL, w.text, w.tag, w.synonyms, NULL, NULL, NULL, NULL, NULL
           FROM targets g JOIN tag_words w
             ON w.text = ANY(g.transfer_caption_words || ARRAY(SELECT unnest(s.words) FROM sources s WHERE s.image_id = g.id))`,
  };
}
const TAG_EVIDENCE = {
  stored: tagEvidenceQuery('stored'),
  storedOne: tagEvidenceQuery('storedOne'),
  vector: tagEvidenceQuery('vector'),
};

interface TagEvidenceRow {
  kind: 'stored' | 'captions' | 'model' | 'voted';
  imageId: string;
  place: number | null;
  distance: number;
  words: string[] | null;
  captions: number | null;
  text: string;
  tag: string | null;
  synonyms: string[];
  vector: number[] | null;
  /** 'stored': the neighbours' ids, distances, where each one's words end, and their caption counts. */
  ids: string[] | null;
  distances: number[] | null;
  ends: number[] | null;
  counts: number[] | null;
}

interface CaptionSource {
  /** The captioned photo's id (the image's own for place -1). */
  id: string;
  place: number;
  distance: number;
  words: readonly string[];
  captions: number;
}

/** A photo's stored transfer (migrations/009, 012) as arrays: its neighbours' ids, distances, caption words, their ends and caption counts. */
interface StoredTransferArrays {
  ids: string[] | null;
  distances: number[] | null;
  words: string[] | null;
  ends: number[] | null;
  counts: number[] | null;
}

/** A photo's stored neighbours, placed as a search would place them (by distance, then id). */
function storedSources(row: StoredTransferArrays): CaptionSource[] {
  const ends = row.ends ?? [];
  const neighbours = (row.ids ?? []).map((id, i) => ({
    id,
    distance: row.distances![i]!,
    words: row.words!.slice(i === 0 ? 0 : ends[i - 1], ends[i]),
    captions: row.counts![i]!,
  }));
  neighbours.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return neighbours.map((neighbour, place) => ({ ...neighbour, place }));
}

/** A captioned neighbour as a photo's stored transfer keeps it (text search's votes were computed from these). */
export interface StoredNeighbour {
  id: string;
  distance: number;
  captionWords: readonly string[];
  captionCount: number;
}

/** The rows of tagEvidenceQuery as the service takes them: each voted word with the places and shares of the captions using it. */
function assembleTagEvidence(rows: readonly TagEvidenceRow[]): TagEvidenceRows {
  const captionsOf = new Map<string, CaptionSource[]>();
  const sourcesOf = (imageId: string) => {
    let list = captionsOf.get(imageId);
    if (!list) captionsOf.set(imageId, (list = []));
    return list;
  };
  for (const row of rows) {
    if (row.kind === 'stored') sourcesOf(row.imageId).push(...storedSources(row));
    if (row.kind === 'captions') {
      sourcesOf(row.imageId).push({ id: row.ids![0]!, place: row.place!, distance: row.distance, words: row.words!, captions: row.captions! });
    }
  }
  for (const list of captionsOf.values()) list.sort((a, b) => a.place - b.place);
  const model: ImageTagRow[] = [];
  const voted: VotedWordRow[] = [];
  for (const { kind, imageId, text, tag, distance, synonyms, vector } of rows) {
    if (kind === 'model') model.push({ imageId, text, tag, distance, synonyms, vector: toFloat32(vector!) });
    if (kind !== 'voted') continue;
    const captioned = captionsOf.get(imageId) ?? [];
    const uses = captioned.flatMap((photo) => {
      const count = photo.words.filter((word) => word === text).length;
      return count > 0 ? [{ place: photo.place, share: count / photo.captions }] : [];
    });
    voted.push({
      imageId,
      text,
      tag,
      distance,
      synonyms,
      vector: null,
      neighbours: uses.map((use) => use.place),
      shares: uses.map((use) => use.share),
      neighbourDistances: captioned.filter((photo) => photo.place >= 0).map((photo) => photo.distance),
      neighbourIds: captioned.filter((photo) => photo.place >= 0).map((photo) => photo.id),
    });
  }
  model.sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : a.distance - b.distance || (a.text < b.text ? -1 : 1)));
  return { model, voted };
}

export class TagRepository {
  constructor(private readonly reader: pg.Pool) {}

  /** In the order of `ids`; null for an unknown image or one not projected yet. */
  async wordEmbeddings(ids: readonly string[]): Promise<(Float32Array | null)[]> {
    const result = await this.reader.query<{ id: string; word_embedding: number[] | null }>(
      'SELECT id, word_embedding FROM images WHERE id = ANY($1::text[])',
      [ids],
    );
    const byId = new Map(result.rows.map((row) => [row.id, row.word_embedding && toFloat32(row.word_embedding)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * The model's `candidates` nearest vocabulary words and caption transfer's
   * words from `neighbours` captioned photos, for stored images ({ ids }: one
   * query for all) or new bytes' vectors (imageId '').
   */
  async tagEvidence(
    images: { ids: readonly string[] } | { vector: ArrayLike<number>; wordVector: ArrayLike<number>; contentHash: string },
    candidates: number,
    neighbours: number,
    efSearch: number,
  ): Promise<TagEvidenceRows> {
    const [query, values] =
      'ids' in images
        ? [images.ids.length === 1 ? TAG_EVIDENCE.storedOne : TAG_EVIDENCE.stored, [images.ids, neighbours, candidates]]
        : [
            TAG_EVIDENCE.vector,
            [vectorParam(images.vector), neighbours, candidates, vectorParam(images.wordVector), images.contentHash],
          ];
    // No sequential scan: the planner would rather compute every photo's distance than walk the captioned photos' index.
    const settings = { efSearch: Math.max(efSearch, neighbours, candidates), seqScan: false };
    return assembleTagEvidence(await queryWithHnsw<TagEvidenceRow>(this.reader, settings, query, values));
  }

  /**
   * Each photo's neighbours as its stored transfer keeps them, nearest first
   * (empty: none stored yet), in the order of `ids`: what its text search
   * votes were computed from (ImageMatch.evidence).
   */
  async storedNeighbours(ids: readonly string[]): Promise<StoredNeighbour[][]> {
    const result = await this.reader.query<StoredTransferArrays & { id: string }>(
      `SELECT id, transfer_neighbours AS ids, transfer_distances AS distances, transfer_caption_words AS words,
              transfer_caption_ends AS ends, transfer_caption_counts AS counts
       FROM images WHERE id = ANY($1::text[]) AND transfer_caption_words IS NOT NULL`,
      [ids],
    );
    const byId = new Map(
      result.rows.map((row) => [
        row.id,
        storedSources(row).map(({ id, distance, words, captions }) => ({ id, distance, captionWords: words, captionCount: captions })),
      ]),
    );
    return ids.map((id) => byId.get(id) ?? []);
  }
}

// The SQL of tags as the API serves them: each image's tag evidence (the
// model's nearest vocabulary words, its captioned neighbours' words), and
// whether an image is in word space yet.
import type pg from 'pg';
import { queryWithHnsw, type HotQuery } from './queryRunner.js';
import { fromVectorSend, toFloat32, vectorParam } from './sqlParams.js';
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
 *   'stored'   a stored image with a current transfer: the vocabulary words
 *              of its captions and its k nearest captioned photos', as its row
 *              keeps them ready to serve (migrations/016: places, shares,
 *              distances, tags, synonyms); no join at query time;
 *   'captions' for an image without them (seeding, new bytes, a new tag
 *              vocabulary), the captions of its k nearest captioned photos
 *              through the index of captioned photos (place 0 the nearest,
 *              with its distance; the image's own bytes left out); and for a
 *              stored one, its own (place -1);
 *   'model'    the image → word model's nearest vocabulary words (the tag
 *              index), with their vectors (binary, vector_send);
 *   'voted'    for those same images, the vocabulary words those captions use,
 *              with their distance to the image's word-space vector: one row
 *              per image, the words in `ids`, their tags in `words`, their
 *              distances, and their synonyms one word after another (`ends`:
 *              how many each).
 * $2 k, $3 model candidates. Stored images: $1 their ids. New bytes: $1 the
 * image vector, $4 its word-space vector, $5 its content hash.
 */
function tagEvidenceQuery(target: 'stored' | 'storedOne' | 'vector'): HotQuery {
  // A transferred image's captions and image vector are not read (nor its row's large values detoasted).
  const targets =
    target !== 'vector'
      ? `SELECT id, ${target === 'stored' ? 'CASE WHEN NOT f.t THEN embedding END' : 'NULL::vector'} AS embedding, word_embedding,
                content_hash, CASE WHEN NOT f.t THEN caption_words END AS caption_words,
                CASE WHEN NOT f.t THEN cardinality(captions) ELSE 0 END AS captions,
                CASE WHEN f.t THEN transfer_tag_words END AS tag_words, f.t AS transferred
         FROM images, LATERAL (SELECT transfer_radius IS NOT NULL AND transfer_tag_words IS NOT NULL AS t) f
         WHERE id = ANY($1::text[]) AND word_embedding IS NOT NULL`
      : `SELECT ''::text AS id, $1::vector AS embedding, $4::vector AS word_embedding, $5::text AS content_hash,
                '{}'::text[] AS caption_words, 0 AS captions, NULL::json AS tag_words, false AS transferred`;
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
                  NULL::text AS text, NULL::text AS tag, NULL::text[] AS synonyms, NULL::bytea AS vector,
                  ARRAY[source_id] AS ids, NULL::float8[] AS distances, NULL::int[] AS ends, NULL::json AS stored
           FROM sources
           UNION ALL
           SELECT 'stored', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, tag_words
           FROM targets WHERE transferred
           UNION ALL
           -- The vectors as pgvector sends them in binary: printing and parsing 25 × 100 numbers as text cost more.
           SELECT 'model', g.id, NULL, t.distance, NULL, NULL, t.text, t.tag, t.synonyms, vector_send(t.embedding), NULL, NULL, NULL, NULL
           FROM targets g CROSS JOIN LATERAL (
             SELECT text, tag, synonyms, embedding, embedding <=> ${wordVector} AS distance FROM tag_words
             ORDER BY distance LIMIT $3
           ) t
           UNION ALL
           -- One index scan per image for all its caption words (the scan folds repeated words), and one
           -- row per image: the words as arrays (each word's synonyms one after another), which cost less
           -- to send and read than a row per word.
           SELECT 'voted', g.id, NULL, NULL, v.tags, NULL, NULL, NULL, v.synonyms, NULL, v.texts, v.distances, v.synonym_counts, NULL
           FROM targets g CROSS JOIN LATERAL (
             SELECT array_agg(w.text ORDER BY w.text) FILTER (WHERE first_synonym) AS texts,
                    array_agg(w.tag ORDER BY w.text) FILTER (WHERE first_synonym) AS tags,
                    array_agg(w.embedding <=> g.word_embedding ORDER BY w.text) FILTER (WHERE first_synonym) AS distances,
                    array_agg(coalesce(cardinality(w.synonyms), 0) ORDER BY w.text) FILTER (WHERE first_synonym) AS synonym_counts,
                    array_agg(s.word ORDER BY w.text, s.n) FILTER (WHERE s.word IS NOT NULL) AS synonyms
             FROM tag_words w LEFT JOIN LATERAL unnest(w.synonyms) WITH ORDINALITY AS s(word, n) ON true,
                  LATERAL (SELECT coalesce(s.n, 1) = 1 AS first_synonym) f
             WHERE w.text = ANY(ARRAY(SELECT unnest(s.words) FROM sources s WHERE s.image_id = g.id))
           ) v
           WHERE NOT g.transferred`,
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
  /** 'model': the word's vector as vector_send writes it. */
  vector: Buffer | null;
  /** 'voted': the words (ids), their distances, how many synonyms each has in `synonyms` (ends); their tags in `words`. */
  ids: string[] | null;
  distances: number[] | null;
  ends: number[] | null;
  /** 'stored': the image's transfer_tag_words. */
  stored: StoredTagWords | null;
}

/** A photo's transfer_tag_words (migrations/016): its neighbours by place, and its captions' vocabulary words, column by column. */
interface StoredTagWords {
  neighbourIds: string[];
  neighbourDistances: number[];
  texts: string[];
  tags: (string | null)[];
  distances: number[];
  synonyms: string[][];
  places: number[][];
  shares: number[][];
}

/** The voted words a photo keeps (Number: JSON writes a NaN distance as a string). */
function storedVotedWords(imageId: string, stored: StoredTagWords): VotedWordRow[] {
  const { neighbourIds, neighbourDistances } = stored;
  return stored.texts.map((text, i) => ({
    imageId,
    text,
    tag: stored.tags[i] ?? null,
    distance: Number(stored.distances[i]),
    synonyms: stored.synonyms[i]!,
    vector: null,
    neighbours: stored.places[i]!,
    shares: stored.shares[i]!,
    neighbourDistances,
    neighbourIds,
  }));
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

/** One image's caption sources read once: each word's places and shares (place order), the neighbours' distances and ids. */
interface ImageCaptionUses {
  byWord: Map<string, { places: number[]; shares: number[] }>;
  neighbourDistances: number[];
  neighbourIds: string[];
}

/** `sources` in place order (the photo's own captions, -1, first). */
function captionUses(sources: readonly CaptionSource[]): ImageCaptionUses {
  const byWord = new Map<string, { places: number[]; shares: number[] }>();
  for (const photo of sources) {
    const counts = new Map<string, number>();
    for (const word of photo.words) counts.set(word, (counts.get(word) ?? 0) + 1);
    for (const [word, count] of counts) {
      let uses = byWord.get(word);
      if (!uses) byWord.set(word, (uses = { places: [], shares: [] }));
      uses.places.push(photo.place);
      uses.shares.push(count / photo.captions);
    }
  }
  const neighbours = sources.filter((photo) => photo.place >= 0);
  return { byWord, neighbourDistances: neighbours.map((photo) => photo.distance), neighbourIds: neighbours.map((photo) => photo.id) };
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
    if (row.kind === 'captions') {
      sourcesOf(row.imageId).push({ id: row.ids![0]!, place: row.place!, distance: row.distance, words: row.words!, captions: row.captions! });
    }
  }
  // Per image, once: where each caption word is used (place and share, in place order) and the
  // neighbours' distances and ids, which every voted word of the image shares.
  const usesOf = new Map<string, ImageCaptionUses>();
  for (const [imageId, list] of captionsOf) {
    list.sort((a, b) => a.place - b.place);
    usesOf.set(imageId, captionUses(list));
  }
  const none = captionUses([]);
  const model: ImageTagRow[] = [];
  const voted: VotedWordRow[] = [];
  for (const row of rows) {
    const { kind, imageId } = row;
    if (kind === 'model') model.push({ imageId, text: row.text, tag: row.tag, distance: row.distance, synonyms: row.synonyms, vector: fromVectorSend(row.vector!) });
    if (kind === 'stored') voted.push(...storedVotedWords(imageId, row.stored!));
    if (kind !== 'voted' || !row.ids) continue;
    const { byWord, neighbourDistances, neighbourIds } = usesOf.get(imageId) ?? none;
    let synonymsStart = 0;
    row.ids.forEach((text, i) => {
      const synonymsEnd = synonymsStart + row.ends![i]!;
      const uses = byWord.get(text);
      voted.push({
        imageId,
        text,
        tag: row.words![i] ?? null,
        distance: row.distances![i]!,
        synonyms: (row.synonyms ?? []).slice(synonymsStart, synonymsEnd),
        vector: null,
        neighbours: uses ? uses.places : [],
        shares: uses ? uses.shares : [],
        neighbourDistances,
        neighbourIds,
      });
      synonymsStart = synonymsEnd;
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
    // One stored image (tagsForImage): its generic plan walks the same indexes, and planning the four-part
    // statement anew at each execution cost a fifth of its CPU.
    const settings = { efSearch: Math.max(efSearch, neighbours, candidates), seqScan: false, genericPlan: query === TAG_EVIDENCE.storedOne };
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

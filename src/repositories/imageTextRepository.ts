// All SQL of the image ↔ text domain: images in word space (their projected
// vectors, the search for a text over them and over the captions, the model's
// training images and stored split) and the tag vocabulary with the nearest
// tags to a word-space vector.
import type pg from 'pg';
import { groupBy } from '../lib/groupBy.js';
import { withTransaction } from '../lib/transaction.js';
import { COLUMNS, type ImageRecord } from './imageRepository.js';
import { countOf, queryWithHnsw, type HotQuery } from './queryRunner.js';
import { toFloat32, vectorParam, type VectorColumn } from './vectorParam.js';

export interface TrainingImageRow {
  id: string;
  category: string;
  captions: string[];
  features: Float32Array;
}

export interface WordSpaceImageRow {
  id: string;
  category: string | null;
  captions: string[];
  /** L2-normalised word-space vector. */
  vector: Float32Array;
}

export interface TextSearchOptions {
  /** Rank by the word-space vectors and the neighbours' votes for the words (VECTOR, HYBRID). */
  byVector: boolean;
  /** Each word's key into the stored votes (plural forms folded). */
  voteKeys: readonly string[];
  /** How much the neighbours' vote adds to a vector's cosine. */
  voteWeight: number;
  /** Rank by the captions' full-text match (KEYWORD, HYBRID). */
  byCaption: boolean;
  /** Reciprocal rank fusion: a row scores Σ 1 / (rrfK + rank) over the rankings it is in. */
  rrfK: number;
  /** How deep each ranking goes before fusion. */
  candidates: number;
  first: number;
  maxDistance?: number;
  category?: string;
  /** Search only these images (evaluation on a split). */
  withinIds?: readonly string[];
  efSearch: number;
}

export interface TextMatchRow extends ImageRecord {
  /** Cosine distance between the text's vector and the image's searched one (the model's and its neighbours' captions'). */
  distance: number;
  matchedCaption: string | null;
  /** The text's words with a GloVe vector (the same on every row). */
  knownWords: string[];
}

/**
 * Parameters: $1 the text's words, $2 the text, $3 rank by vector, $4 rank by
 * caption, $5 the fusion constant, $6 candidates per ranking, $7 the largest
 * distance, $8 first, $9 each word's vote key, $10 the vote's weight, $11 the
 * category or the ids searched.
 *
 * The text's vector is the mean of its known words' GloVe vectors, looked up
 * here rather than in a round trip of its own; every row names the known
 * words, and no row comes back when none is known.
 *
 * The vector side scores a photo by its searched vector's cosine + the vote
 * weight × the mean of its stored votes for the text's keys (caption transfer).
 *
 * The text's words are OR-ed, so any caption word counts; photos whose
 * captions hold more of the words rank first, then by ts_rank_cd (alone, it
 * would put a caption that repeats one word above one that has them all).
 * The words' english lexemes are quoted, so no character of the text is read
 * as tsquery syntax. A text of stop words only is no query (NULL): nothing
 * matches by caption.
 */
function searchQuery(name: string, filter: string): HotQuery {
  // A filter is checked while walking a word's votes, so the walk goes on until enough photos pass it.
  const votedWalk = filter
    ? `SELECT t.image_id FROM transfer_votes t JOIN images ON images.id = t.image_id WHERE t.word = key ${filter}`
    : 'SELECT t.image_id FROM transfer_votes t WHERE t.word = key';
  const wordsIn = (document: string) => `(SELECT count(*) FROM unnest(terms.each_word) AS word WHERE ${document} @@ word)`;
  return {
    name,
    text: `WITH text_vector AS MATERIALIZED (
             SELECT avg(w.embedding) AS vector, array_agg(w.text ORDER BY w.text) AS known,
                    coalesce(array_agg(DISTINCT t.key), '{}') AS keys
             FROM unnest($1::text[], $9::text[]) AS t(word, key) JOIN words w ON w.text = t.word
           ),
           terms AS MATERIALIZED (
             SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query,
                    array_agg(quote_literal(lexeme)::tsquery) AS each_word
             FROM unnest(tsvector_to_array(to_tsvector('english', $2::text))) AS lexeme
           ),
           -- The vector side's candidates: the nearest searched vectors, and for each
           -- word of the text the photos whose neighbours' captions vote for it most
           -- (as many in all as the nearest: a photo's mean vote is at most its best word's).
           nearest AS MATERIALIZED (
             SELECT id, text_embedding <=> (SELECT vector FROM text_vector) AS distance FROM images
             WHERE $3::boolean AND text_embedding IS NOT NULL ${filter}
             ORDER BY text_embedding <=> (SELECT vector FROM text_vector) LIMIT $6
           ),
           voted AS MATERIALIZED (
             SELECT DISTINCT v.image_id AS id FROM unnest((SELECT keys FROM text_vector)) AS key CROSS JOIN LATERAL (
               ${votedWalk}
               ORDER BY t.vote DESC LIMIT ceil($6::float8 / greatest(cardinality((SELECT keys FROM text_vector)), 1))::int
             ) v
             WHERE $3::boolean
           ),
           candidates AS (
             SELECT id, distance FROM nearest
             UNION ALL
             -- (A filtered walk already kept only the photos that pass.)
             SELECT i.id, i.text_embedding <=> (SELECT vector FROM text_vector) FROM voted v JOIN images i ON i.id = v.id
             WHERE v.id NOT IN (SELECT id FROM nearest) AND i.text_embedding IS NOT NULL
           ),
           by_vector AS (
             SELECT id, distance, row_number() OVER (ORDER BY score DESC, distance, id) AS rank FROM (
               SELECT c.id, c.distance,
                      1 - c.distance + $10::float8 * coalesce(sum(t.vote), 0) / greatest(cardinality((SELECT keys FROM text_vector)), 1) AS score
               FROM candidates c LEFT JOIN transfer_votes t ON t.image_id = c.id AND t.word = ANY((SELECT keys FROM text_vector)::text[])
               GROUP BY c.id, c.distance
               ORDER BY score DESC, c.distance, c.id LIMIT $6
             ) scored
             WHERE $7::float8 IS NULL OR distance <= $7
           ),
           by_caption AS (
             SELECT id, distance, row_number() OVER (ORDER BY words_matched DESC, score DESC, id) AS rank FROM (
               SELECT id, text_embedding <=> (SELECT vector FROM text_vector) AS distance, ${wordsIn('captions_document')} AS words_matched,
                      ts_rank_cd(captions_document, terms.query) AS score
               FROM images, terms
               WHERE $4::boolean AND captions_document @@ terms.query AND text_embedding IS NOT NULL ${filter}
               ORDER BY words_matched DESC, score DESC, id LIMIT $6
             ) matched
             WHERE $7::float8 IS NULL OR distance <= $7
           ),
           fused AS (
             SELECT id, coalesce(v.distance, c.distance) AS distance,
                    coalesce(1.0 / ($5::float8 + v.rank), 0) + coalesce(1.0 / ($5::float8 + c.rank), 0) AS score
             FROM by_vector v FULL JOIN by_caption c USING (id)
             ORDER BY score DESC, distance, id LIMIT $8
           )
           SELECT ${COLUMNS}, fused.distance,
                  -- Only photos whose captions match are parsed again, each caption once (OFFSET 0).
                  CASE WHEN images.captions_document @@ terms.query THEN
                    (SELECT caption FROM unnest(images.captions) WITH ORDINALITY AS c(caption, position),
                            LATERAL (SELECT to_tsvector('english', caption) AS document OFFSET 0) parsed
                     WHERE parsed.document @@ terms.query
                     ORDER BY ${wordsIn('parsed.document')} DESC, ts_rank_cd(parsed.document, terms.query) DESC, position
                     LIMIT 1)
                  END AS "matchedCaption", text_vector.known AS "knownWords"
           FROM fused JOIN images USING (id) CROSS JOIN terms CROSS JOIN text_vector
           WHERE text_vector.vector IS NOT NULL
           ORDER BY fused.score DESC, fused.distance, id`,
  };
}

const SEARCH = searchQuery('images_for_text', '');
const SEARCH_IN_CATEGORY = searchQuery('images_for_text_in_category', 'AND category = $11::text');
const SEARCH_WITHIN = searchQuery('images_for_text_within', 'AND id = ANY($11::text[])');

/** A vocabulary word near a vector, with its tag (null: its own) and the tag's other words. */
export interface TagRow {
  text: string;
  tag: string | null;
  distance: number;
  vector: Float32Array;
  synonyms: string[];
}

export interface ImageTagRow extends TagRow {
  imageId: string;
}

/**
 * Every vocabulary word's synonyms: the words of its tag other than the tag's
 * name, most frequent first. Kept in the row (written with the tags), so a
 * tag query reads them with the word instead of one lookup per candidate.
 */
const FILL_SYNONYMS = `UPDATE tag_words w SET synonyms = ARRAY(
  SELECT s.text FROM tag_words s
  WHERE s.tag = COALESCE(w.tag, w.text) AND s.text <> COALESCE(w.tag, w.text) ORDER BY s.rank)`;

const NEAREST_TAGS = {
  name: 'tags_nearest',
  text: `SELECT c.text, c.tag, c.distance, c.embedding AS vector, c.synonyms FROM (
           SELECT text, tag, synonyms, embedding, embedding <=> $1::vector AS distance FROM tag_words
           ORDER BY embedding <=> $1::vector LIMIT $2
         ) c ORDER BY c.distance, c.text`,
};

/** A vocabulary word in the captions of an image's nearest captioned photos or its own (caption transfer); no vector. */
export interface VotedWordRow extends Omit<ImageTagRow, 'vector'> {
  vector: null;
  /** Places of the neighbours using it, nearest first from 0; -1: the photo's own captions. */
  neighbours: number[];
  /** The share of each one's captions using it. */
  shares: number[];
  /** All the image's neighbours' distances, nearest first. */
  neighbourDistances: number[];
}

/** What tags are made of, per image: the model's nearest vocabulary words and the captions' words. */
export interface TagEvidenceRows {
  model: ImageTagRow[];
  voted: VotedWordRow[];
}

/**
 * Everything tags need, in one statement (the embedded store answers one at a
 * time, and each round trip costs about as much as a small query), as rows
 * of three kinds:
 *   'captions' the captions of each image's k nearest captioned photos (place
 *              0 the nearest, with its distance; the image's own bytes left
 *              out) and, for a stored image, its own (place -1);
 *   'model'    the image → word model's nearest vocabulary words (the tag
 *              index), with their vectors;
 *   'voted'    the vocabulary words those captions use, with their distance
 *              to the image's word-space vector.
 * A stored image reads the neighbours its transfer stored (migrations/009);
 * one whose transfer is stale (seeding) searches the index of captioned
 * photos, as new bytes do. $2 k, $3 model candidates. Stored images: $1
 * their ids. New bytes: $1 the image vector, $4 its word-space vector, $5 its
 * content hash.
 */
function tagEvidenceQuery(source: 'stored' | 'storedOne' | 'vector'): HotQuery {
  const targets =
    source !== 'vector'
      ? `SELECT id, embedding, word_embedding, content_hash, caption_words, cardinality(captions) AS captions,
                transfer_neighbours, transfer_distances, transfer_radius IS NOT NULL AS transferred
         FROM images WHERE id = ANY($1::text[]) AND word_embedding IS NOT NULL`
      : `SELECT ''::text AS id, $1::vector AS embedding, $4::vector AS word_embedding, $5::text AS content_hash,
                '{}'::text[] AS caption_words, 0 AS captions, NULL::text[] AS transfer_neighbours,
                NULL::float8[] AS transfer_distances, false AS transferred`;
  // One image: its vectors as constants (init plans), which an index scan
  // compares ten times faster than a vector taken from the outer row.
  const [imageVector, wordVector] =
    source === 'storedOne'
      ? ['(SELECT embedding FROM images WHERE id = ($1::text[])[1])', '(SELECT word_embedding FROM images WHERE id = ($1::text[])[1])']
      : ['g.embedding', 'g.word_embedding'];
  return {
    name: `tag_evidence_${source}`,
    text: `WITH targets AS MATERIALIZED (${targets}),
           nearest AS (
             SELECT g.id AS image_id, s.id, s.distance FROM targets g,
                    unnest(g.transfer_neighbours, g.transfer_distances) AS s(id, distance)
             WHERE g.transferred
             UNION ALL
             SELECT g.id, n.id, n.distance FROM targets g CROSS JOIN LATERAL (
               -- Only the distance while scanning: the captions are read for the k neighbours alone.
               SELECT id, embedding <=> ${imageVector} AS distance
               FROM images WHERE caption_embedding IS NOT NULL AND content_hash IS DISTINCT FROM g.content_hash
               ORDER BY distance LIMIT $2
             ) n
             WHERE NOT g.transferred
           ),
           sources AS MATERIALIZED (
             SELECT n.image_id, n.place, n.distance, c.caption_words AS words, cardinality(c.captions) AS captions
             FROM (SELECT *, (row_number() OVER (PARTITION BY image_id ORDER BY distance, id) - 1)::int AS place FROM nearest) n
             JOIN images c ON c.id = n.id
             UNION ALL
             SELECT id, -1, NULL, caption_words, captions FROM targets WHERE captions > 0
           )
           SELECT 'captions' AS kind, image_id AS "imageId", place, distance, words, captions,
                  NULL::text AS text, NULL::text AS tag, NULL::text[] AS synonyms, NULL::vector AS vector
           FROM sources
           UNION ALL
           SELECT 'model', g.id, NULL, t.distance, NULL, NULL, t.text, t.tag, t.synonyms, t.embedding
           FROM targets g CROSS JOIN LATERAL (
             SELECT text, tag, synonyms, embedding, embedding <=> ${wordVector} AS distance FROM tag_words
             ORDER BY distance LIMIT $3
           ) t
           UNION ALL
           -- One index scan per image for all its caption words (the scan folds repeated words).
           SELECT 'voted', g.id, NULL, w.embedding <=> g.word_embedding, NULL, NULL, w.text, w.tag, w.synonyms, NULL
           FROM targets g JOIN tag_words w
             ON w.text = ANY(ARRAY(SELECT unnest(s.words) FROM sources s WHERE s.image_id = g.id))`,
  };
}
const TAG_EVIDENCE = {
  stored: tagEvidenceQuery('stored'),
  storedOne: tagEvidenceQuery('storedOne'),
  vector: tagEvidenceQuery('vector'),
};

interface TagEvidenceRow {
  kind: 'captions' | 'model' | 'voted';
  imageId: string;
  place: number | null;
  distance: number;
  words: string[] | null;
  captions: number | null;
  text: string;
  tag: string | null;
  synonyms: string[];
  vector: number[] | null;
}

/** The rows of tagEvidenceQuery as the service takes them: each voted word with the places and shares of the captions using it. */
function assembleTagEvidence(rows: readonly TagEvidenceRow[]): TagEvidenceRows {
  const captionsOf = groupBy(
    rows.filter((row) => row.kind === 'captions'),
    (row) => row.imageId,
  );
  for (const list of captionsOf.values()) list.sort((a, b) => a.place! - b.place!);
  const model: ImageTagRow[] = [];
  const voted: VotedWordRow[] = [];
  for (const { kind, imageId, text, tag, distance, synonyms, vector } of rows) {
    if (kind === 'model') model.push({ imageId, text, tag, distance, synonyms, vector: toFloat32(vector!) });
    if (kind !== 'voted') continue;
    const sources = captionsOf.get(imageId) ?? [];
    const uses = sources.flatMap((source) => {
      const count = source.words!.filter((word) => word === text).length;
      return count > 0 ? [{ place: source.place!, share: count / source.captions! }] : [];
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
      neighbourDistances: sources.filter((source) => source.place! >= 0).map((source) => source.distance),
    });
  }
  model.sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : a.distance - b.distance || (a.text < b.text ? -1 : 1)));
  return { model, voted };
}

export class ImageTextRepository {
  constructor(
    private readonly writer: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  /** The dataset images with a category: what the projector trains on. */
  async trainingImages(): Promise<TrainingImageRow[]> {
    const result = await this.writer.query<VectorColumn<TrainingImageRow, 'features'>>(
      `SELECT id, category, captions, features FROM images
       WHERE source = 'pascal' AND category IS NOT NULL ORDER BY id`,
    );
    return result.rows.map((row) => ({ ...row, features: toFloat32(row.features) }));
  }

  async countUnprojected(): Promise<number> {
    return countOf(this.writer, 'SELECT count(*)::int AS n FROM images WHERE word_embedding IS NULL');
  }

  /** The next images without a word-space vector, with their image features. */
  async unprojected(limit: number): Promise<{ id: string; features: Float32Array }[]> {
    const result = await this.writer.query<{ id: string; features: number[] }>(
      'SELECT id, features FROM images WHERE word_embedding IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: row.id, features: toFloat32(row.features) }));
  }

  async setWordEmbeddings(ids: readonly string[], vectors: readonly Float32Array[]): Promise<void> {
    await this.writer.query(
      `UPDATE images SET word_embedding = t.vector
       FROM unnest($1::text[], $2::vector[]) AS t(id, vector) WHERE images.id = t.id`,
      [ids, vectors.map(vectorParam)],
    );
  }

  /** A new model makes every stored vector stale. */
  async clearWordEmbeddings(): Promise<void> {
    await this.writer.query('UPDATE images SET word_embedding = NULL WHERE word_embedding IS NOT NULL');
  }

  /** In the order of `ids`; null for an unknown image or one not projected yet. */
  async wordEmbeddings(ids: readonly string[]): Promise<(Float32Array | null)[]> {
    const result = await this.reader.query<{ id: string; word_embedding: number[] | null }>(
      'SELECT id, word_embedding FROM images WHERE id = ANY($1::text[])',
      [ids],
    );
    const byId = new Map(result.rows.map((row) => [row.id, row.word_embedding && toFloat32(row.word_embedding)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Images for a text (its words), best first: at most `first`, each with its vector distance and best caption. */
  searchImages(words: readonly string[], text: string, options: TextSearchOptions): Promise<TextMatchRow[]> {
    const filtered = options.category !== undefined || options.withinIds !== undefined;
    const query = options.withinIds ? SEARCH_WITHIN : options.category !== undefined ? SEARCH_IN_CATEGORY : SEARCH;
    const values: unknown[] = [
      words,
      text,
      options.byVector,
      options.byCaption,
      options.rrfK,
      options.candidates,
      options.maxDistance ?? null,
      options.first,
      options.voteKeys,
      options.voteWeight,
    ];
    if (filtered) values.push(options.withinIds ?? options.category);
    return queryWithHnsw<TextMatchRow>(
      this.reader,
      // A filter keeps the index scan walking until enough rows pass it.
      { efSearch: Math.max(options.efSearch, options.candidates), iterative: filtered ? 'relaxed_order' : undefined },
      query,
      values,
    );
  }

  async saveSplit(trainIds: readonly string[], heldOutIds: readonly string[]): Promise<void> {
    await withTransaction(this.writer, async (client) => {
      await client.query('DELETE FROM training_split');
      await client.query(
        `INSERT INTO training_split (image_id, held_out)
         SELECT * FROM unnest($1::text[], $2::boolean[])`,
        [[...trainIds, ...heldOutIds], [...trainIds.map(() => false), ...heldOutIds.map(() => true)]],
      );
    });
  }

  /** The held-out images of the stored model, with their word-space vectors (evaluation). */
  async heldOutImages(): Promise<WordSpaceImageRow[]> {
    const result = await this.reader.query<VectorColumn<WordSpaceImageRow, 'vector'>>(
      `SELECT i.id, i.category, i.captions, i.word_embedding AS vector FROM images i
       JOIN training_split s ON s.image_id = i.id
       WHERE s.held_out AND i.word_embedding IS NOT NULL ORDER BY i.id`,
    );
    return result.rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }

  async countTagWords(): Promise<number> {
    return countOf(this.writer, 'SELECT count(*)::int AS n FROM tag_words');
  }

  /** The alphabetic words, most frequent first: what the tag vocabulary rule chooses from. */
  async alphabeticWords(): Promise<string[]> {
    const result = await this.reader.query<{ text: string }>(`SELECT text FROM words WHERE text ~ '^[a-z]{2,}$' ORDER BY rank`);
    return result.rows.map((row) => row.text);
  }

  /** Replaces the tag vocabulary with the stored words `texts` (chosen by the vocabulary rule), in one transaction. */
  async replaceTagVocabulary(texts: readonly string[]): Promise<number> {
    return withTransaction(this.writer, async (client) => {
      await client.query('DELETE FROM tag_words');
      const result = await client.query(
        'INSERT INTO tag_words (text, rank, embedding) SELECT text, rank, embedding FROM words WHERE text = ANY($1::text[])',
        [texts],
      );
      await client.query('ANALYZE tag_words');
      return result.rowCount ?? 0;
    });
  }

  /** The whole tag vocabulary with vectors, in rank order (training, evaluation). */
  async tagVocabulary(): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM tag_words ORDER BY rank',
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** The whole vocabulary as tags are served: each word's tag and the tag's other words (evaluation). */
  async foldedTagVocabulary(): Promise<Omit<TagRow, 'distance'>[]> {
    const result = await this.reader.query<VectorColumn<Omit<TagRow, 'distance'>, 'vector'>>(
      `SELECT w.text, w.tag, w.embedding AS vector, w.synonyms FROM tag_words w ORDER BY w.rank`,
    );
    return result.rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }

  /** Stores each vocabulary word's tag (words not named keep their own) and every word's synonyms. */
  async setTags(tagOf: ReadonlyMap<string, string>): Promise<void> {
    await withTransaction(this.writer, async (client) => {
      await client.query(
        `UPDATE tag_words SET tag = t.tag FROM unnest($1::text[], $2::text[]) AS t(text, tag) WHERE tag_words.text = t.text`,
        [[...tagOf.keys()], [...tagOf.values()]],
      );
      await client.query(FILL_SYNONYMS);
    });
  }

  /** Nearest vocabulary words to a word-space vector, by cosine distance, with their tags. */
  async nearestTags(vector: ArrayLike<number>, first: number, efSearch: number): Promise<TagRow[]> {
    const rows = await queryWithHnsw<VectorColumn<TagRow, 'vector'>>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS,
      [vectorParam(vector), first],
    );
    return rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
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

}

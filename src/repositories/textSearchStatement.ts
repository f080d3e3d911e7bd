// The text search statement (imagesForText): the text's vector and the
// neighbours' votes, the captions' full-text match, and their fusion, built
// for each filter a caller needs; one statement per filter, prepared by name.
import type pg from 'pg';
import { COLUMNS, type ImageRecord } from './imageColumns.js';
import { queryWithHnsw, type HotQuery } from './queryRunner.js';

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
 * The vector side searches text_embedding (searched_text_vector of the
 * model's and the transferred vector) and scores a photo by text_search_score:
 * its cosine + the vote weight × the mean of its stored votes for the text's
 * keys (caption transfer). Both rules live in the store (migration 011).
 *
 * The text's words are OR-ed, so any caption word counts; photos whose
 * captions hold more of the words rank first, then by ts_rank_cd (alone, it
 * would put a caption that repeats one word above one that has them all).
 * The words' english lexemes are quoted, so no character of the text is read
 * as tsquery syntax. A text of stop words only is no query (NULL): nothing
 * matches by caption.
 */
export function searchQuery(name: string, filter: string): HotQuery {
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
                      text_search_score(1 - c.distance, sum(t.vote), cardinality((SELECT keys FROM text_vector)), $10::float8) AS score
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

/**
 * Runs a statement of searchQuery: `filterValue` is its $11 (the category or
 * the ids searched), undefined for the unfiltered statement.
 */
export function runTextSearch(
  pool: pg.Pool,
  query: HotQuery,
  words: readonly string[],
  text: string,
  options: TextSearchOptions,
  filterValue?: unknown,
): Promise<TextMatchRow[]> {
  const filtered = filterValue !== undefined;
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
  if (filtered) values.push(filterValue);
  return queryWithHnsw<TextMatchRow>(
    pool,
    // A filter keeps the index scan walking until enough rows pass it.
    { efSearch: Math.max(options.efSearch, options.candidates), iterative: filtered ? 'relaxed_order' : undefined },
    query,
    values,
  );
}

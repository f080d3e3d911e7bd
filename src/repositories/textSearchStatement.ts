// The text search statement (imagesForText): the text's vector and the
// neighbours' votes, the captions' full-text match, and their fusion, built
// for each filter a caller needs; one statement per filter, prepared by name.
import type pg from 'pg';
import { COLUMNS, type ImageRecord } from './imageColumns.js';
import { scopeCondition, type PhotoScope } from './imageSearchQueries.js';
import { queryWithHnsw, type HotQuery } from './queryRunner.js';

export interface TextSearchOptions {
  /** Rank by the word-space vectors and the neighbours' votes for the words (VECTOR, HYBRID). */
  byVector: boolean;
  /** Each word's key into the stored votes (plural forms folded). */
  voteKeys: readonly string[];
  /** How much the neighbours' vote adds to a vector's cosine. */
  voteWeight: number;
  /** The shift of the vote's shifted geometric mean over the text's keys (text_vote, migrations/015). */
  voteShift: number;
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
  /** A page: fused rows to skip, and photos left out of the fused list (an earlier tier's); none by default. */
  page?: { offset: number; leftOut: readonly string[] };
  /** The owner's photos alone (default), or reference photos too. */
  scope?: PhotoScope;
  /** "Not this": words whose photos are dropped, with their vote keys and the score at which a photo counts as theirs. */
  exclude?: { words: readonly string[]; voteKeys: readonly string[]; minScore: number };
}

/** The parts a match's rank was made of (ImageMatch.scores). */
export interface TextMatchScores {
  /** The fused score the list is ordered by: Σ 1 / (rrfK + rank). */
  fused: number;
  /** The vector side: cosine + vote weight × vote (text_search_score); null outside its list. */
  vectorScore: number | null;
  /** The neighbours' vote for the text's keys together (text_vote); null outside the vector list. */
  vote: number | null;
  /** 1-based place in the vector ranking; null when not in it. */
  vectorRank: number | null;
  /** ts_rank_cd of the captions; null when no caption matches. */
  keywordScore: number | null;
  /** 1-based place in the caption ranking; null when not in it. */
  keywordRank: number | null;
}

export interface TextMatchRow extends ImageRecord, TextMatchScores {
  /** Cosine distance between the text's vector and the image's searched one; null when no word of the text has a vector. */
  distance: number | null;
  matchedCaption: string | null;
  /** The text's words with a GloVe vector (the same on every row). */
  knownWords: string[];
  /** Whether rankings deeper than `candidates` could add photos (the same on every row). */
  deeper: boolean;
}

/** The parameter a statement's filter (a category, the ids searched) is bound to. */
export const FILTER_PARAM = '$13';

/**
 * The parts of the statement a search may not need, each left out of the
 * statement that does not: the photos left out of the fused list (a later
 * tier's page) and the excluded words. Most searches need neither, and each
 * part costs its CTEs and a check of every fused row.
 */
interface StatementShape {
  leftOut: boolean;
  exclude: boolean;
}

/** One filter's statements, one per shape, each prepared by its own name. */
export interface TextSearchStatements {
  filtered: boolean;
  forShape(shape: StatementShape): HotQuery;
}

/**
 * Parameters: $1 the text's words, $2 the text, $3 rank by vector, $4 rank by
 * caption, $5 the fusion constant, $6 candidates per ranking, $7 the largest
 * distance, $8 first, $9 each word's vote key, $10 the vote's weight, $11
 * fused rows skipped (a page), $12 the vote's shift, $13 (FILTER_PARAM) the
 * category or the ids searched; then, numbered on from the last, the ids left out of the fused
 * list (shape.leftOut), and the excluded words, their vote keys and the score
 * at which an excluded word drops a photo (shape.exclude).
 *
 * The text's vector is the mean of its known words' GloVe vectors, looked up
 * here rather than in a round trip of its own; every row names the known
 * words. A text with none is searched by caption alone (no vector side, a
 * null distance).
 *
 * The vector side searches text_embedding (searched_text_vector of the
 * model's and the transferred vector) and scores a photo by text_search_score:
 * its cosine + the vote weight × text_vote, its stored votes for the text's
 * keys (caption transfer) taken together: a single key's vote, several keys'
 * shifted geometric mean, so a photo whose neighbours say all the words
 * beats one whose neighbours say one (migrations 011, 015).
 *
 * The text's words are OR-ed, so any caption word counts; photos whose
 * captions hold more of the words rank first, then by ts_rank_cd (alone, it
 * would put a caption that repeats one word above one that has them all).
 * The words' english lexemes are quoted, so no character of the text is read
 * as tsquery syntax. A text of stop words only is no query (NULL): nothing
 * matches by caption.
 *
 * An excluded word drops a photo whose captions use it, or whose score for
 * it alone (text_search_score of its cosine and its vote) reaches its minimum score.
 *
 * `scope` 'owned' leaves reference photos out (migrations/014) by a constant
 * condition, so the partial indexes of owned photos serve the searches;
 * reference photos have no votes of their own (no transfer).
 */
export function searchQuery(name: string, ownFilter: string, scope: PhotoScope = 'owned'): TextSearchStatements {
  const statements = new Map<string, HotQuery>();
  return {
    filtered: ownFilter !== '',
    forShape(shape) {
      const key = `${shape.leftOut ? '_paged' : ''}${shape.exclude ? '_excluding' : ''}`;
      let statement = statements.get(key);
      if (!statement) statements.set(key, (statement = { name: name + key, text: statementText(ownFilter, scope, shape) }));
      return statement;
    },
  };
}

function statementText(ownFilter: string, scope: PhotoScope, shape: StatementShape): string {
  const owned = scopeCondition(scope);
  const filter = owned ? `${ownFilter} AND ${owned}` : ownFilter;
  // The optional parameters, numbered on from the last fixed one.
  let next = ownFilter ? 14 : 13;
  const leftOut = shape.leftOut ? `$${next++}` : undefined;
  const [excludedWords, excludedKeys, excludedMinScore] = shape.exclude ? [`$${next++}`, `$${next++}`, `$${next++}`] : [];
  const fusedConditions = [
    ...(leftOut ? [`id <> ALL(${leftOut}::text[])`] : []),
    ...(shape.exclude
      ? [
          `NOT EXISTS (
                 SELECT 1 FROM images x WHERE x.id = coalesce(v.id, c.id) AND (
                   x.captions_document @@ (SELECT query FROM excluded_terms)
                   OR EXISTS (
                     SELECT 1 FROM excluded e
                     WHERE text_search_score(coalesce(1 - (x.text_embedding <=> e.vector), 0),
                             -- One key: its vote alone (text_vote reads only the sum then).
                             text_vote((SELECT tv.vote FROM transfer_votes tv WHERE tv.image_id = x.id AND tv.word = e.key), NULL, NULL, 1, $12::float8),
                             $10::float8) >= ${excludedMinScore})))`,
        ]
      : []),
  ];
  // The excluded words: their vectors (null for a word without one) and vote keys, and their caption query.
  const excludedCtes = shape.exclude
    ? `excluded AS MATERIALIZED (
             SELECT w.embedding AS vector, t.key FROM unnest(${excludedWords}::text[], ${excludedKeys}::text[]) AS t(word, key) LEFT JOIN words w ON w.text = t.word
           ),
           excluded_terms AS MATERIALIZED (
             SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query
             FROM unnest(tsvector_to_array(to_tsvector('english', array_to_string(${excludedWords}::text[], ' ')))) AS lexeme
           ),`
    : '';
  // A filter is checked while walking a word's votes, so the walk goes on until enough photos pass it.
  // (Reference photos have no votes: the walk needs no scope.)
  const votedWalk = ownFilter
    ? `SELECT t.image_id FROM transfer_votes t JOIN images ON images.id = t.image_id WHERE t.word = key ${ownFilter}`
    : 'SELECT t.image_id FROM transfer_votes t WHERE t.word = key';
  const wordsIn = (document: string) => `(SELECT count(*) FROM unnest(terms.each_word) AS word WHERE ${document} @@ word)`;
  return `WITH text_vector AS MATERIALIZED (
             SELECT avg(w.embedding) AS vector, coalesce(array_agg(w.text ORDER BY w.text), '{}') AS known,
                    coalesce(array_agg(DISTINCT t.key), '{}') AS keys
             FROM unnest($1::text[], $9::text[]) AS t(word, key) JOIN words w ON w.text = t.word
           ),
           terms AS MATERIALIZED (
             SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query,
                    array_agg(quote_literal(lexeme)::tsquery) AS each_word
             FROM unnest(tsvector_to_array(to_tsvector('english', $2::text))) AS lexeme
           ),
           ${excludedCtes}
           -- The vector side's candidates: the nearest searched vectors, and for each
           -- word of the text the photos whose neighbours' captions vote for it most
           -- (as many in all as the nearest: a photo's mean vote is at most its best word's).
           -- A text without a known word has no vector side.
           nearest AS MATERIALIZED (
             SELECT id, text_embedding <=> (SELECT vector FROM text_vector) AS distance FROM images
             WHERE $3::boolean AND (SELECT vector FROM text_vector) IS NOT NULL AND text_embedding IS NOT NULL ${filter}
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
             SELECT id, distance, score, vote, row_number() OVER (ORDER BY score DESC, distance, id) AS rank FROM (
               SELECT id, distance, vote, text_search_score(1 - distance, vote, $10::float8) AS score FROM (
                 -- The votes' aggregates as text_vote takes them; the key count a plain column, so the rules inline.
                 SELECT a.id, a.distance, text_vote(a.vote_sum, a.log_sum, a.voted, k.key_count, $12::float8) AS vote
                 FROM (
                   SELECT c.id, c.distance, sum(t.vote) AS vote_sum, sum(ln(t.vote + $12::float8)) AS log_sum, count(t.vote)::int AS voted
                   FROM candidates c LEFT JOIN transfer_votes t ON t.image_id = c.id AND t.word = ANY((SELECT keys FROM text_vector)::text[])
                   GROUP BY c.id, c.distance
                 ) a CROSS JOIN (SELECT cardinality(keys) AS key_count FROM text_vector) k
               ) with_vote
               ORDER BY score DESC, distance, id LIMIT $6
             ) scored
             WHERE $7::float8 IS NULL OR distance <= $7
           ),
           caption_matches AS (
             SELECT id, text_embedding <=> (SELECT vector FROM text_vector) AS distance, ${wordsIn('captions_document')} AS words_matched,
                    ts_rank_cd(captions_document, terms.query) AS score
             FROM images, terms
             WHERE $4::boolean AND captions_document @@ terms.query AND text_embedding IS NOT NULL ${filter}
             ORDER BY words_matched DESC, score DESC, id LIMIT $6
           ),
           by_caption AS (
             SELECT id, distance, score, row_number() OVER (ORDER BY words_matched DESC, score DESC, id) AS rank FROM caption_matches
             WHERE $7::float8 IS NULL OR distance <= $7
           ),
           fused AS (
             SELECT id, coalesce(v.distance, c.distance) AS distance,
                    v.score AS vector_score, v.vote, v.rank AS vector_rank, c.score AS keyword_score, c.rank AS keyword_rank,
                    coalesce(1.0 / ($5::float8 + v.rank), 0) + coalesce(1.0 / ($5::float8 + c.rank), 0) AS score
             FROM by_vector v FULL JOIN by_caption c USING (id)
             ${fusedConditions.length > 0 ? `WHERE ${fusedConditions.join('\n               AND ')}` : ''}
             ORDER BY score DESC, distance, id LIMIT $8 OFFSET $11
           )
           SELECT ${COLUMNS}, fused.distance,
                  -- Only photos whose captions match are parsed again, each caption once (OFFSET 0).
                  CASE WHEN images.captions_document @@ terms.query THEN
                    (SELECT caption FROM unnest(images.captions) WITH ORDINALITY AS c(caption, position),
                            LATERAL (SELECT to_tsvector('english', caption) AS document OFFSET 0) parsed
                     WHERE parsed.document @@ terms.query
                     ORDER BY ${wordsIn('parsed.document')} DESC, ts_rank_cd(parsed.document, terms.query) DESC, position
                     LIMIT 1)
                  END AS "matchedCaption", text_vector.known AS "knownWords",
                  fused.score::float8 AS fused, fused.vector_score AS "vectorScore", fused.vote::float8 AS vote,
                  fused.vector_rank::int AS "vectorRank", fused.keyword_score::float8 AS "keywordScore", fused.keyword_rank::int AS "keywordRank",
                  -- Whether a deeper search could add photos: a ranking was cut at $6.
                  (SELECT count(*) FROM nearest) >= $6 OR (SELECT count(*) FROM caption_matches) >= $6 AS deeper
           FROM fused JOIN images USING (id) CROSS JOIN terms CROSS JOIN text_vector
           ORDER BY fused.score DESC, fused.distance, id`;
}

/**
 * Runs a statement of searchQuery: `filterValue` is its FILTER_PARAM (the category or
 * the ids searched), undefined for the unfiltered statement.
 */
export function runTextSearch(
  pool: pg.Pool,
  statements: TextSearchStatements,
  words: readonly string[],
  text: string,
  options: TextSearchOptions,
  filterValue?: unknown,
): Promise<TextMatchRow[]> {
  const leftOut = options.page?.leftOut ?? [];
  const shape = { leftOut: leftOut.length > 0, exclude: (options.exclude?.words.length ?? 0) > 0 };
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
    options.page?.offset ?? 0,
    options.voteShift,
  ];
  if (statements.filtered) values.push(filterValue);
  if (shape.leftOut) values.push(leftOut);
  if (shape.exclude) values.push(options.exclude!.words, options.exclude!.voteKeys, options.exclude!.minScore);
  return queryWithHnsw<TextMatchRow>(
    pool,
    // A filter keeps the index scan walking until enough rows pass it.
    { efSearch: Math.max(options.efSearch, options.candidates), iterative: statements.filtered ? 'relaxed_order' : undefined },
    statements.forShape(shape),
    values,
  );
}

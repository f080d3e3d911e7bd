// The evaluation's text search: imagesForText's own statement, limited to a
// chosen set of images (a split, a sample), which the API never asks for; and
// the store's text-search rules run on photos the evaluation holds in memory.
import type pg from 'pg';
import { toArrayLiteral, toFloat32, vectorParam } from './sqlParams.js';
import { FILTER_PARAM, runTextSearch, searchQuery, type TextMatchRow, type TextSearchOptions } from './textSearchStatement.js';

const SEARCH_WITHIN = searchQuery('images_for_text_within', `AND id = ANY(${FILTER_PARAM}::text[])`);

/** What text_search_score reads of a photo and a text. */
export interface TextScoreInput {
  /** The cosine between the text's vector and the photo's searched one. */
  cosine: number;
  /** The photo's votes for the text's keys that it has a vote for (a key without one counts 0). */
  votes: readonly number[];
  /** How many keys the text has. */
  keyCount: number;
  voteWeight: number;
  /** text_vote's shift. */
  voteShift: number;
}

export class EvalTextSearchRepository {
  constructor(private readonly reader: pg.Pool) {}

  /** As TextSearchRepository.searchImages (its category aside), over the images `ids` alone. */
  searchImagesWithin(
    words: readonly string[],
    text: string,
    options: Omit<TextSearchOptions, 'category'>,
    ids: readonly string[],
  ): Promise<TextMatchRow[]> {
    return runTextSearch(this.reader, SEARCH_WITHIN, words, text, options, ids);
  }

  /**
   * What the vector side would search for each photo, by the rule of the
   * stored text_embedding (searched_text_vector): `model[i]` with
   * `transferred[i]` (null: none), in order.
   */
  async searchedTextVectors(model: readonly Float32Array[], transferred: readonly (Float32Array | null)[]): Promise<Float32Array[]> {
    const result = await this.reader.query<{ vector: number[] }>(
      `SELECT searched_text_vector(u.model, u.transferred) AS vector
       FROM unnest($1::vector[], $2::vector[]) WITH ORDINALITY AS u(model, transferred, n) ORDER BY u.n`,
      [model.map(vectorParam), transferred.map((vector) => vector && vectorParam(vector))],
    );
    return result.rows.map((row) => toFloat32(row.vector));
  }

  /** Each input's vector-side score, by the served ranking's rule (text_search_score), in order. */
  async textSearchScores(inputs: readonly TextScoreInput[]): Promise<Float64Array> {
    // The votes go in as array literals: unnest would flatten a float8[][] of ragged rows.
    const result = await this.reader.query<{ score: number }>(
      `SELECT text_search_score(u.cosine, text_vote(a.vote_sum, a.log_sum, a.voted, u.key_count, u.vote_shift), u.vote_weight) AS score
       FROM unnest($1::float8[], $2::text[], $3::int[], $4::float8[], $5::float8[]) WITH ORDINALITY
            AS u(cosine, votes, key_count, vote_weight, vote_shift, n)
       CROSS JOIN LATERAL (
         SELECT sum(v) AS vote_sum, sum(ln(v + u.vote_shift)) AS log_sum, count(v)::int AS voted FROM unnest(u.votes::float8[]) AS v
       ) a
       ORDER BY u.n`,
      [
        inputs.map((i) => i.cosine),
        inputs.map((i) => toArrayLiteral(i.votes.map(String))),
        inputs.map((i) => i.keyCount),
        inputs.map((i) => i.voteWeight),
        inputs.map((i) => i.voteShift),
      ],
    );
    return Float64Array.from(result.rows, (row) => row.score);
  }
}

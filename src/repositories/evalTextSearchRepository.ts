// The evaluation's text search: imagesForText's own statement, limited to a
// chosen set of images (a split, a sample), which the API never asks for.
import type pg from 'pg';
import { runTextSearch, searchQuery, type TextMatchRow, type TextSearchOptions } from './textSearchStatement.js';

const SEARCH_WITHIN = searchQuery('images_for_text_within', 'AND id = ANY($11::text[])');

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
}

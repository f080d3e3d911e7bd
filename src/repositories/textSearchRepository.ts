// The SQL of imagesForText as the API serves it: all images, or one category.
import type pg from 'pg';
import { FILTER_PARAM, runTextSearch, searchQuery, type TextMatchRow, type TextSearchOptions } from './textSearchStatement.js';

export type { TextMatchRow, TextMatchScores, TextSearchOptions } from './textSearchStatement.js';

const SEARCH = {
  owned: searchQuery('images_for_text', ''),
  withReference: searchQuery('images_for_text_with_reference', '', 'withReference'),
};
const IN_CATEGORY = `AND category = ${FILTER_PARAM}::text`;
const SEARCH_IN_CATEGORY = {
  owned: searchQuery('images_for_text_in_category', IN_CATEGORY),
  withReference: searchQuery('images_for_text_in_category_with_reference', IN_CATEGORY, 'withReference'),
};
// The ids searched are chosen by the caller (a similarImages list, in its scope already).
const SEARCH_AMONG = searchQuery('images_for_text_among', `AND id = ANY(${FILTER_PARAM}::text[])`, 'withReference');

export class TextSearchRepository {
  constructor(private readonly reader: pg.Pool) {}

  /** Images for a text (its words), best first: at most `first`, each with its vector distance and best caption. */
  searchImages(words: readonly string[], text: string, options: TextSearchOptions): Promise<TextMatchRow[]> {
    const scope = options.scope ?? 'owned';
    return options.category === undefined
      ? runTextSearch(this.reader, SEARCH[scope], words, text, options)
      : runTextSearch(this.reader, SEARCH_IN_CATEGORY[scope], words, text, options, options.category);
  }

  /** As searchImages, among the images `ids` alone (similarImages steered by a text ranks its neighbours). */
  searchAmong(ids: readonly string[], words: readonly string[], text: string, options: Omit<TextSearchOptions, 'category'>): Promise<TextMatchRow[]> {
    return runTextSearch(this.reader, SEARCH_AMONG, words, text, options, ids);
  }
}

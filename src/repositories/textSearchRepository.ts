// The SQL of imagesForText as the API serves it: all images, or one category.
import type pg from 'pg';
import { FILTER_PARAM, runTextSearch, searchQuery, type TextMatchRow, type TextSearchOptions } from './textSearchStatement.js';

export type { TextMatchRow, TextMatchScores, TextSearchOptions } from './textSearchStatement.js';

const SEARCH = searchQuery('images_for_text', '');
const SEARCH_IN_CATEGORY = searchQuery('images_for_text_in_category', `AND category = ${FILTER_PARAM}::text`);
const SEARCH_AMONG = searchQuery('images_for_text_among', `AND id = ANY(${FILTER_PARAM}::text[])`);

export class TextSearchRepository {
  constructor(private readonly reader: pg.Pool) {}

  /** Images for a text (its words), best first: at most `first`, each with its vector distance and best caption. */
  searchImages(words: readonly string[], text: string, options: TextSearchOptions): Promise<TextMatchRow[]> {
    return options.category === undefined
      ? runTextSearch(this.reader, SEARCH, words, text, options)
      : runTextSearch(this.reader, SEARCH_IN_CATEGORY, words, text, options, options.category);
  }

  /** As searchImages, among the images `ids` alone (similarImages steered by a text ranks its neighbours). */
  searchAmong(ids: readonly string[], words: readonly string[], text: string, options: Omit<TextSearchOptions, 'category'>): Promise<TextMatchRow[]> {
    return runTextSearch(this.reader, SEARCH_AMONG, words, text, options, ids);
  }
}

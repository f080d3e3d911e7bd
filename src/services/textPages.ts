// imagesForText page after page: the fused list read in tiers of growing
// depth, each tier continuing the one before without repeats, so pages go on
// past the first fused list (its HNSW candidates) until the store runs out.
import type { TextMatchRow, TextSearchOptions } from '../repositories/textSearchRepository.js';
import type { TextCursor } from './matchCursors.js';

/** The deepest tier read: its rankings are FUSION_DEPTH × 2^MAX_TIER deep (3,200). */
export const MAX_TIER = 5;

export interface PagedRow {
  row: TextMatchRow;
  cursor: TextCursor;
}

export type RunSearch = (options: TextSearchOptions) => Promise<TextMatchRow[]>;

/**
 * Tier t is the fused list of rankings `baseDepth` × 2^t deep without the
 * photos of tier t − 1's whole list: fusing deeper lists reorders the fused
 * scores, so a deeper tier only adds photos no earlier one had. A ranking of
 * captions alone (KEYWORD) keeps its order at any depth: one tier, as deep as
 * the page needs. Returns up to `first` rows from `start` on, each with the
 * cursor of its place.
 */
export async function readPage(
  run: RunSearch,
  base: TextSearchOptions,
  baseDepth: number,
  start: TextCursor,
  first: number,
): Promise<PagedRow[]> {
  const page: PagedRow[] = [];
  let { tier, offset } = start;
  if (!base.byVector) {
    const rows = await run({ ...base, candidates: offset + first, first, page: { offset, leftOut: [] } });
    return rows.map((row, i) => ({ row, cursor: { ...start, tier: 0, offset: offset + i + 1 } }));
  }
  while (page.length < first && tier <= MAX_TIER) {
    const leftOut = tier === 0 ? [] : await tierIds(run, base, baseDepth * 2 ** (tier - 1));
    const wanted = first - page.length;
    const rows = await run({ ...base, candidates: baseDepth * 2 ** tier, first: wanted, page: { offset, leftOut } });
    rows.forEach((row, i) => page.push({ row, cursor: { ...start, tier, offset: offset + i + 1 } }));
    if (rows.length === wanted) break;
    // This tier is used up: the store is too when its rankings were not cut, or a deeper tier adds no photo.
    if (rows.length > 0 ? !rows[0]!.deeper : tier > 0 && offset === 0) break;
    tier += 1;
    offset = 0;
  }
  return page;
}

/** Every photo of the fused list at `depth` (at most two rankings' worth). */
async function tierIds(run: RunSearch, base: TextSearchOptions, depth: number): Promise<string[]> {
  const rows = await run({ ...base, candidates: depth, first: 2 * depth, page: { offset: 0, leftOut: [] } });
  return rows.map((row) => row.id);
}

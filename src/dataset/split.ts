// The fixed, seeded train / held-out split of the Pascal images: in every
// category the images whose seeded hash of their source name is smallest are
// held out. Deterministic by name, so every process (the seed's training and
// projection fits, evaluation) agrees without sharing state.
import { createHash } from 'node:crypto';
import { groupBy } from '../lib/groupBy.js';

export const SPLIT_SEED = 'semsearch-split-v1';
export const HELD_OUT_PER_CATEGORY = 10;
/** Small stores (tests, IMAGES_LIMIT) hold out at most this share of a category. */
export const HELD_OUT_SHARE = 0.2;

export interface SplitItem {
  /** The image's stable source name, e.g. the Pascal file stem "2008_000053". */
  name: string;
  category: string;
}

function splitKey(name: string, seed: string): string {
  return createHash('sha1').update(`${seed}:${name}`).digest('hex');
}

/** The names of the held-out images: HELD_OUT_PER_CATEGORY per category, at most 20% of it. */
export function heldOutNames(
  items: readonly SplitItem[],
  perCategory = HELD_OUT_PER_CATEGORY,
  seed = SPLIT_SEED,
): Set<string> {
  const heldOut = new Set<string>();
  for (const list of groupBy(items, (item) => item.category).values()) {
    const ranked = list
      .map((item) => ({ name: item.name, key: splitKey(item.name, seed) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const count = Math.min(perCategory, Math.floor(list.length * HELD_OUT_SHARE));
    for (const { name } of ranked.slice(0, count)) heldOut.add(name);
  }
  return heldOut;
}

export function splitItems<T extends SplitItem>(items: readonly T[], perCategory = HELD_OUT_PER_CATEGORY) {
  const heldOut = heldOutNames(items, perCategory);
  return {
    train: items.filter((item) => !heldOut.has(item.name)),
    heldOut: items.filter((item) => heldOut.has(item.name)),
  };
}

// Opaque cursors of the ranked lists (similarImages, imagesForText,
// similarWords): what a match's place is, encoded so clients never build one.
import { badInput } from '../errors.js';

/** A place in a list ordered by distance, ties by id (images) or text (words). */
export interface DistanceCursor<K extends 'image' | 'word' = 'image' | 'word'> {
  kind: K;
  distance: number;
  key: string;
}

/**
 * A place in imagesForText's fused list: the tier (its depth: FUSION_DEPTH ×
 * 2^tier), the rows of the tier already answered, and which query it belongs to.
 */
export interface TextCursor {
  kind: 'text';
  query: string;
  tier: number;
  offset: number;
}

export type MatchCursor = DistanceCursor<'image'> | DistanceCursor<'word'> | TextCursor;

const PREFIX = 'm1:';

export function encodeMatchCursor(cursor: MatchCursor): string {
  return Buffer.from(PREFIX + JSON.stringify(cursor), 'utf8').toString('base64url');
}

const notACursor = (field: string) =>
  badInput(`'after' is not a cursor of ${field}: pass the 'cursor' of a match it answered (cursors are opaque)`);

/** The cursor of `after`, checked to be of `kind`; BAD_USER_INPUT for anything else. */
export function decodeMatchCursor<K extends MatchCursor['kind']>(
  after: string,
  kind: K,
  field: string,
): Extract<MatchCursor, { kind: K }> {
  let parsed: unknown;
  try {
    const text = Buffer.from(after, 'base64url').toString('utf8');
    if (!text.startsWith(PREFIX)) throw notACursor(field);
    parsed = JSON.parse(text.slice(PREFIX.length));
  } catch {
    throw notACursor(field);
  }
  if (!isCursor(parsed) || parsed.kind !== kind) throw notACursor(field);
  return parsed as Extract<MatchCursor, { kind: K }>;
}

function isCursor(value: unknown): value is MatchCursor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  if (c.kind === 'image' || c.kind === 'word') {
    return typeof c.distance === 'number' && Number.isFinite(c.distance) && typeof c.key === 'string' && c.key.length > 0;
  }
  return (
    c.kind === 'text' &&
    typeof c.query === 'string' &&
    Number.isInteger(c.tier) && (c.tier as number) >= 0 && (c.tier as number) <= 16 &&
    Number.isInteger(c.offset) && (c.offset as number) >= 0
  );
}

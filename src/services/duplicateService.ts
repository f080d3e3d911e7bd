// What `duplicates` means: groups of copies of one photo (the same pixels
// re-encoded, or resized, recompressed, slightly cropped, mirrored or rotated
// by EXIF), read page by page from the pairs the store keeps.
import { DUPLICATES } from '../embedding/index.js';
import { badInput } from '../errors.js';
import type { DuplicateMemberRow, DuplicateRepository } from '../repositories/duplicateRepository.js';
import type { ImageRecord } from '../repositories/imageColumns.js';
import { checkFirst } from './arguments.js';
import type { Warmup } from './warmup.js';

export type DuplicateKind = 'EXACT' | 'NEAR';

export interface DuplicateCopy {
  image: ImageRecord;
  kind: DuplicateKind;
  distance: number;
  hashDistance: number;
  mirrored: boolean;
}

export interface DuplicateGroup {
  /** Where the next page starts when this is the last group of a page. */
  cursor: string;
  /** The photo to keep: the group's largest (then oldest). */
  original: ImageRecord;
  copies: DuplicateCopy[];
}

export interface DuplicatesArgs {
  first?: number | null;
  after?: string | null;
  maxDistance?: number | null;
  includeReference?: boolean | null;
}

const CURSOR_PREFIX = 'duplicates:';

export const encodeGroupCursor = (groupId: string) => Buffer.from(`${CURSOR_PREFIX}${groupId}`, 'utf8').toString('base64url');

function decodeGroupCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX) || text.length === CURSOR_PREFIX.length) {
    throw badInput(`'after' is not a cursor from this API: pass the 'cursor' of the last group of the previous page of 'duplicates'`);
  }
  return text.slice(CURSOR_PREFIX.length);
}

/** `maxDistance` for duplicates: pairs are recorded only up to the rule's distance, so no larger one can be asked. */
function checkDuplicateDistance(maxDistance: number | null | undefined): number {
  if (maxDistance === null || maxDistance === undefined) return DUPLICATES.maxFeatureDistance;
  if (!Number.isFinite(maxDistance) || maxDistance < 0 || maxDistance > DUPLICATES.maxFeatureDistance) {
    throw badInput(
      `'maxDistance' is a features cosine distance between 0 and ${DUPLICATES.maxFeatureDistance} (further apart, photos are ` +
        `not copies and no pair is recorded), got ${maxDistance}`,
    );
  }
  return maxDistance;
}


/** Rows in group order → groups, each row without the group's fields. */
function toGroups(rows: readonly DuplicateMemberRow[]): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  for (const { groupId, position, distance, hashDistance, mirrored, samePixels, ...image } of rows) {
    if (position === 1) {
      groups.push({ cursor: encodeGroupCursor(groupId), original: image, copies: [] });
      continue;
    }
    groups.at(-1)!.copies.push({ image, kind: samePixels ? 'EXACT' : 'NEAR', distance, hashDistance, mirrored });
  }
  return groups;
}

export class DuplicateService {
  constructor(
    private readonly pairs: DuplicateRepository,
    private readonly warmup: Warmup,
  ) {}

  async duplicates(args: DuplicatesArgs): Promise<DuplicateGroup[]> {
    const first = checkFirst(args.first, 10);
    const maxDistance = checkDuplicateDistance(args.maxDistance);
    const after = args.after ? decodeGroupCursor(args.after) : null;
    this.warmup.check('similarImages', true);
    return toGroups(await this.pairs.groups(first, after, maxDistance, args.includeReference ?? false));
  }
}

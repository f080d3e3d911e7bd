// Perceptual hashes for telling copies of a photo from merely similar photos:
// a difference hash (dHash) of a tiny greyscale thumbnail, and the duplicate
// rule that combines it with the image model's features. Pure functions apart
// from the one decode in `perceptualHashes`.
import { createHash } from 'node:crypto';
import { decodeError, openImage } from './preprocess.js';

/** dHash's thumbnail: 9 columns so that each of 8 rows gives 8 left-right differences. */
const GRID_WIDTH = 9;
const GRID_HEIGHT = 8;
export const HASH_BITS = (GRID_WIDTH - 1) * GRID_HEIGHT;

/** A photo's dHash as it looks, and as its mirror image (left-right) looks: 64 '0'/'1' characters each. */
export interface PerceptualHashes {
  hash: string;
  mirrored: string;
  /** sha256 (hex) of the decoded pixels as displayed: equal for the same image in other bytes. */
  pixels: string;
}

/**
 * dHash of a GRID_WIDTH × GRID_HEIGHT greyscale grid (row by row): bit i is 1
 * where a pixel is brighter than its right neighbour. `mirrored` reads each
 * row from the right, which is the hash of the photo's mirror image, from the
 * same grid.
 */
export function differenceHash(grid: ArrayLike<number>, mirrored = false): string {
  if (grid.length !== GRID_WIDTH * GRID_HEIGHT) throw new Error(`a ${GRID_WIDTH}×${GRID_HEIGHT} grid has ${GRID_WIDTH * GRID_HEIGHT} values, not ${grid.length}`);
  let bits = '';
  for (let y = 0; y < GRID_HEIGHT; y++) {
    for (let x = 0; x < GRID_WIDTH - 1; x++) {
      const [left, right] = mirrored ? [GRID_WIDTH - 1 - x, GRID_WIDTH - 2 - x] : [x, x + 1];
      bits += grid[y * GRID_WIDTH + left]! > grid[y * GRID_WIDTH + right]! ? '1' : '0';
    }
  }
  return bits;
}

/** Bits that differ between two hashes of equal length. */
export function hashDistance(a: string, b: string): number {
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  return differing;
}

/** The smaller distance of `b` to `a` as it is or mirrored: a mirrored copy is as near as a plain one. */
export function copyHashDistance(a: PerceptualHashes, b: PerceptualHashes): number {
  return Math.min(hashDistance(a.hash, b.hash), hashDistance(a.hash, b.mirrored));
}

/** sha256 of the decoded pixels, streamed strip by strip: a 40-megapixel photo is never held whole. */
async function pixelHash(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  const decoded = (await openImage(bytes)).rotate().toColourspace('srgb').removeAlpha().raw();
  const { width, height } = await decoded.clone().metadata().then((m) => m.autoOrient ?? m);
  hash.update(`${width}x${height}:`);
  for await (const chunk of decoded) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The hashes of an image's bytes, as displayed (EXIF orientation applied, so
 * a copy rotated by its EXIF tag hashes as the original). Throws
 * ImageDecodeError for unreadable bytes.
 */
export async function perceptualHashes(bytes: Uint8Array): Promise<PerceptualHashes> {
  try {
    const [grid, pixels] = await Promise.all([
      openImage(bytes).then((image) => image.rotate().greyscale().resize(GRID_WIDTH, GRID_HEIGHT, { fit: 'fill' }).raw().toBuffer()),
      pixelHash(bytes),
    ]);
    return { hash: differenceHash(grid), mirrored: differenceHash(grid, true), pixels };
  } catch (err) {
    throw decodeError(err);
  }
}

/**
 * When two photos are copies of one photo (resized, recompressed, slightly
 * cropped, mirrored or rotated by EXIF) rather than two similar photos: both
 * signals must agree. Chosen on Pascal photos and their copies (`npm run eval`,
 * docs/models.md "Duplicates").
 */
export const DUPLICATES = {
  /** Cosine distance of the image model's features (not the searched projection, which pulls a class together). */
  maxFeatureDistance: 0.25,
  /** dHash bits that may differ (of 64), the nearer of plain and mirrored. */
  maxHashDistance: 8,
  /** Nearest photos by searched vector whose features and hash are compared, per new photo. */
  candidates: 10,
} as const;

/** The rule, for the evaluation; the store applies the same comparisons to its candidates in SQL. */
export function isDuplicatePair(featureDistance: number, copyHashDistance: number, maxFeatureDistance: number = DUPLICATES.maxFeatureDistance): boolean {
  return featureDistance <= maxFeatureDistance && copyHashDistance <= DUPLICATES.maxHashDistance;
}

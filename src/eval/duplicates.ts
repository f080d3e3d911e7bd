// The duplicates measure: Pascal photos plus copies made here (half size,
// JPEG quality 30, 5% cropped, mirrored, rotated by EXIF) — the recall of
// copy pairs per kind of copy, and the false pairs among the 1000 distinct
// photos, for the served rule and a grid of thresholds around it. Pairs are
// compared exhaustively here; the store compares a photo with its
// DUPLICATES.candidates nearest by searched vector, so that share is reported too.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { copyHashDistance, DUPLICATES, isDuplicatePair, perceptualHashes, type PerceptualHashes } from '../embedding/index.js';

export const COPY_KINDS = ['half size', 'JPEG quality 30', '5% crop', 'mirrored', 'EXIF rotated'] as const;
export type CopyKind = (typeof COPY_KINDS)[number];

/** Copies are made of every STRIDE-th photo (200 of 1000 × 5 kinds: 1000 images to embed). */
const STRIDE = 5;

/** A copy of `bytes`, JPEG-encoded (quality 90 unless the kind is the quality). */
export async function makeCopy(bytes: Buffer, kind: CopyKind): Promise<Buffer> {
  const image = sharp(bytes).rotate();
  const { width, height } = await image.clone().metadata().then((m) => ({ width: m.width!, height: m.height! }));
  switch (kind) {
    case 'half size':
      return image.resize(Math.round(width / 2)).jpeg({ quality: 90 }).toBuffer();
    case 'JPEG quality 30':
      return image.jpeg({ quality: 30 }).toBuffer();
    case '5% crop': {
      // 5% of the width and of the height off, half on each side.
      const w = Math.round(width * 0.95);
      const h = Math.round(height * 0.95);
      return image.extract({ left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h }).jpeg({ quality: 90 }).toBuffer();
    }
    case 'mirrored':
      return image.flop().jpeg({ quality: 90 }).toBuffer();
    case 'EXIF rotated':
      // Pixels turned a quarter to the left, and an EXIF tag (6) that turns them back when displayed.
      return sharp(await image.rotate(270).jpeg({ quality: 90 }).toBuffer()).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
  }
}

export interface DuplicatePhoto {
  id: string;
  file: string;
  /** The image model's features (L2-normalised). */
  features: Float32Array;
  /** The vector the store searches (its nearest are the store's candidates). */
  searched: Float32Array;
}

export interface DuplicateTools {
  embed(images: readonly Buffer[]): Promise<{ features: Float32Array; searched: Float32Array }[]>;
  log(line: string): void;
}

interface Hashed {
  features: Float32Array;
  searched: Float32Array;
  hashes: PerceptualHashes;
}

const cosineDistance = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return 1 - dot;
};

/** Is `target` among the `k` nearest of `pool` to `query` by searched vector (itself left out)? */
function isCandidate(query: Float32Array, pool: readonly Hashed[], target: number, k: number, skip = -1): boolean {
  const targetDistance = cosineDistance(query, pool[target]!.searched);
  let nearer = 0;
  for (let j = 0; j < pool.length && nearer < k; j++) {
    if (j !== target && j !== skip && cosineDistance(query, pool[j]!.searched) < targetDistance) nearer++;
  }
  return nearer < k;
}

export interface DuplicateResults {
  photos: number;
  copiesPerKind: number;
  rule: { maxFeatureDistance: number; maxHashDistance: number; candidates: number };
  /** Share of copies paired with their photo by the rule, and also among its candidates in the store. */
  recall: Record<CopyKind, { rule: number; store: number }>;
  /** Pairs of distinct photos (of the 1000) the rule calls copies, with their ids. */
  falsePairs: { count: number; pairs: string[] };
  /** Copies the rule pairs with a photo other than theirs. */
  falseCopyPairs: number;
  /** Recall over all kinds and false pairs among distinct photos for other thresholds. */
  grid: { maxFeatureDistance: number; maxHashDistance: number; recall: number; falsePairs: number }[];
}

export async function evaluateDuplicates(photos: readonly DuplicatePhoto[], tools: DuplicateTools): Promise<DuplicateResults> {
  const originals: Hashed[] = await Promise.all(
    photos.map(async (photo) => ({ ...photo, hashes: await perceptualHashes(await readFile(photo.file)) })),
  );
  const sampled = photos.map((_, i) => i).filter((i) => i % STRIDE === 0);
  const copies: { source: number; kind: CopyKind; copy: Hashed }[] = [];
  for (const [n, source] of sampled.entries()) {
    const bytes = await readFile(photos[source]!.file);
    const made = await Promise.all(COPY_KINDS.map((kind) => makeCopy(bytes, kind)));
    const embedded = await tools.embed(made);
    const hashes = await Promise.all(made.map((copy) => perceptualHashes(copy)));
    COPY_KINDS.forEach((kind, k) => copies.push({ source, kind, copy: { ...embedded[k]!, hashes: hashes[k]! } }));
    if ((n + 1) % 40 === 0) tools.log(`duplicates: copies of ${n + 1}/${sampled.length} photos embedded`);
  }
  // Every pair of distinct photos once, and every copy against every photo.
  const distinct: { feature: number; hash: number; ids: string }[] = [];
  for (let i = 0; i < originals.length; i++) {
    for (let j = i + 1; j < originals.length; j++) {
      const feature = cosineDistance(originals[i]!.features, originals[j]!.features);
      if (feature > 0.5) continue;
      distinct.push({ feature, hash: copyHashDistance(originals[i]!.hashes, originals[j]!.hashes), ids: `${photos[i]!.id}~${photos[j]!.id}` });
    }
  }
  const toSource = copies.map(({ source, copy }) => ({
    feature: cosineDistance(copy.features, originals[source]!.features),
    hash: copyHashDistance(originals[source]!.hashes, copy.hashes),
  }));
  const isPair = (d: { feature: number; hash: number }, maxFeature: number, maxHash: number) => d.feature <= maxFeature && d.hash <= maxHash;
  const grid = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3].flatMap((maxFeatureDistance) =>
    [6, 8, 10, 12, 14, 16].map((maxHashDistance) => ({
      maxFeatureDistance,
      maxHashDistance,
      recall: toSource.filter((d) => isPair(d, maxFeatureDistance, maxHashDistance)).length / copies.length,
      falsePairs: distinct.filter((d) => isPair(d, maxFeatureDistance, maxHashDistance)).length,
    })),
  );
  const recall = Object.fromEntries(
    COPY_KINDS.map((kind) => {
      const ofKind = copies.map((c, i) => ({ ...c, d: toSource[i]! })).filter((c) => c.kind === kind);
      const paired = ofKind.filter((c) => isDuplicatePair(c.d.feature, c.d.hash));
      const stored = paired.filter((c) => isCandidate(c.copy.searched, originals, c.source, DUPLICATES.candidates));
      return [kind, { rule: paired.length / ofKind.length, store: stored.length / ofKind.length }];
    }),
  ) as DuplicateResults['recall'];
  let falseCopyPairs = 0;
  for (const { source, copy } of copies) {
    originals.forEach((original, j) => {
      if (j !== source && isDuplicatePair(cosineDistance(copy.features, original.features), copyHashDistance(original.hashes, copy.hashes))) falseCopyPairs++;
    });
  }
  const falsePairs = distinct.filter((d) => isDuplicatePair(d.feature, d.hash));
  return {
    photos: photos.length,
    copiesPerKind: sampled.length,
    rule: { maxFeatureDistance: DUPLICATES.maxFeatureDistance, maxHashDistance: DUPLICATES.maxHashDistance, candidates: DUPLICATES.candidates },
    recall,
    falsePairs: { count: falsePairs.length, pairs: falsePairs.map((d) => d.ids) },
    falseCopyPairs,
    grid,
  };
}

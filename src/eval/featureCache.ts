// Image features of photo sets the evaluation reads again and again (the
// 7,091 reference photos take minutes on 2 cores), embedded once through the
// product's own embedder and kept under DATA_DIR/eval: a later run reads the
// file. Rows are appended as batches finish, so a stopped run resumes where it
// stopped; a changed embedding recipe or photo list starts a new file.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { embeddingVersion, TOP_IMAGENET_CLASSES, type Embedder, type ImageNetClass } from '../embedding/index.js';
import { createProgress } from '../lib/progress.js';

const FEATURES = 768;
/** A row: the features, then the top classes' indices and their probabilities. */
const ROW = FEATURES + 2 * TOP_IMAGENET_CLASSES;
const BATCH = 32;

export interface CachedFeatures {
  features: Float32Array;
  classes: ImageNetClass[];
}

/** The cache file of a set: named by the set, the embedding recipe and the photo list. */
function cacheFile(cacheDir: string, name: string, ids: readonly string[]): string {
  const key = createHash('sha1').update(`${embeddingVersion()}\n${ids.join('\n')}`).digest('hex').slice(0, 12);
  return path.join(cacheDir, `features-${name}-${key}.f32`);
}

function decodeRow(data: Float32Array, i: number): CachedFeatures {
  const row = data.subarray(i * ROW, (i + 1) * ROW);
  const classes = Array.from({ length: TOP_IMAGENET_CLASSES }, (_, j) => ({
    index: row[FEATURES + j]!,
    probability: row[FEATURES + TOP_IMAGENET_CLASSES + j]!,
  }));
  return { features: row.slice(0, FEATURES), classes };
}

function encodeRow(features: Float32Array, classes: readonly ImageNetClass[]): Float32Array {
  const row = new Float32Array(ROW);
  row.set(features);
  classes.forEach((c, j) => {
    row[FEATURES + j] = c.index;
    row[FEATURES + TOP_IMAGENET_CLASSES + j] = c.probability;
  });
  return row;
}

/**
 * Each photo's features and top ImageNet classes, in order: read from the
 * cache, the rest embedded (with progress) and added to it. `limit`: the
 * first photos only (a quick run reads what a running one has cached).
 */
export async function cachedFeatures(
  embedder: Pick<Embedder, 'embedImages'>,
  name: string,
  photos: readonly { id: string; file: string }[],
  cacheDir: string,
  limit = photos.length,
): Promise<CachedFeatures[]> {
  mkdirSync(cacheDir, { recursive: true });
  const file = cacheFile(cacheDir, name, photos.map((photo) => photo.id));
  if (!existsSync(file)) writeFileSync(file, Buffer.alloc(0));
  const rowBytes = ROW * 4;
  const wanted = Math.min(limit, photos.length);
  let done = Math.floor(statSync(file).size / rowBytes);
  if (done < wanted) {
    // A row cut short by a stop is written again.
    truncateSync(file, done * rowBytes);
    const progress = createProgress(`${name} features`, wanted, 'images', process.stderr, done);
    for (; done < wanted; done += BATCH) {
      const batch = photos.slice(done, Math.min(done + BATCH, wanted));
      const embedded = await embedder.embedImages(await Promise.all(batch.map((photo) => readFile(photo.file))));
      const rows = embedded.map((image) => encodeRow(image.features, image.classes));
      const out = new Float32Array(rows.length * ROW);
      rows.forEach((row, i) => out.set(row, i * ROW));
      appendFileSync(file, Buffer.from(out.buffer));
      progress.tick(batch.length);
    }
    progress.finish();
  }
  const data = new Float32Array(new Uint8Array(readFileSync(file)).buffer);
  return photos.slice(0, wanted).map((_, i) => decodeRow(data, i));
}

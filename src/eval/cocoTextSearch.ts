// Text → image P@10 of each search mode on the COCO evaluation sample
// (ASSETS_DIR/coco-captions-sample: photos of kinds the model never trained
// on; evaluation only, nothing is fitted to it). The photos go through the
// stored models into a throwaway embedded store, twice: with their captions
// (what the product does for a captioned collection; KEYWORD then reads the
// very captions relevance is judged by) and with the captions held back
// (what the models alone do). The store being evaluated is never written.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from '../app.js';
import { captionWordCounts, captionWordList, perceptualHashes } from '../embedding/index.js';
import { openDatabase } from '../db/database.js';
import { sha256 } from '../lib/hash.js';
import { createRepositories } from '../repositories/index.js';
import type { NewImage } from '../repositories/imageRepository.js';
import { applyMigrations, findVectorTypeOids } from '../repositories/migrationRepository.js';
import { captionWordQueries, scoreModes, storeSearcher, TEXT_SEARCH_MODES, type EvaluatedImage, type ModeScores } from './textSearchModes.js';

export const COCO_SAMPLE_DIR = 'coco-captions-sample';
/** A query word must be in the captions of at least this many photos (of 271). */
const MIN_PHOTOS_PER_WORD = 10;

export interface CocoTextSearchResults {
  photos: number;
  queries: string[];
  withCaptions: ModeScores;
  captionsHeldBack: ModeScores;
}

interface CocoPhoto extends EvaluatedImage {
  file: string;
}

function readSample(dir: string): CocoPhoto[] {
  return readFileSync(path.join(dir, 'captions.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { id: string; captions: string[] })
    .map((row) => ({ id: `coco-${row.id}`, category: null, captions: row.captions, file: path.join(dir, 'images', `${row.id}.jpg`) }));
}

/** Caption words common enough to score: in the captions of MIN_PHOTOS_PER_WORD photos or more, and known to GloVe. */
async function queryWords(app: App, photos: readonly CocoPhoto[]): Promise<string[]> {
  const photosPerWord = new Map<string, number>();
  for (const photo of photos) {
    for (const word of captionWordCounts(photo.captions).keys()) photosPerWord.set(word, (photosPerWord.get(word) ?? 0) + 1);
  }
  const common = [...photosPerWord].filter(([, n]) => n >= MIN_PHOTOS_PER_WORD).map(([word]) => word);
  const known = await app.repositories.words.findVectors(common);
  return common.filter((word) => known.has(word)).sort();
}

async function embedPhotos(app: App, photos: readonly CocoPhoto[], log: (line: string) => void): Promise<NewImage[]> {
  const rows: NewImage[] = [];
  for (const photo of photos) {
    const bytes = readFileSync(photo.file);
    const { features, info } = await app.embedder.embedImage(bytes);
    const searched = await app.services.images.searchVector(features);
    rows.push({
      id: photo.id,
      category: null,
      reference: false,
      captions: [...photo.captions],
      captionWords: captionWordList(photo.captions),
      width: info.width,
      height: info.height,
      contentHash: sha256(bytes),
      origin: 'coco',
      features,
      embedding: searched.vector,
      projectionVersion: searched.projectionVersion,
      wordEmbedding: await app.embedder.projectToWords(features),
      hashes: await perceptualHashes(bytes),
      mimeType: info.mimeType,
      bytes,
    });
    if (rows.length % 50 === 0) log(`COCO sample: ${rows.length}/${photos.length} photos embedded`);
  }
  return rows;
}

/**
 * P@10 per mode with `rows` in a fresh embedded store, searched with the
 * evaluated store's word vectors: the query words are copied into it, since
 * the search statement reads the words' vectors from its own store.
 */
async function scoreInThrowawayStore(
  app: App,
  rows: readonly NewImage[],
  photos: readonly CocoPhoto[],
  words: readonly string[],
): Promise<ModeScores> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'semsearch-coco-eval-'));
  const db = await openDatabase({ ...app.config, database: { kind: 'pglite', dataDir } }, app.logger, {
    migrate: (pool) => applyMigrations(pool, app.logger),
    vectorTypeOids: findVectorTypeOids,
  });
  try {
    const repositories = createRepositories(db);
    const vectors = await app.repositories.words.findVectors(words);
    await repositories.words.insertBatch([...vectors].map(([text, vector], rank) => ({ rank, text, vector })));
    await repositories.images.insert(rows);
    const search = storeSearcher(repositories.evalTextSearch, app.config.images.efSearch);
    return await scoreModes(search, photos, captionWordQueries(words));
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Null when the sample is not in ASSETS_DIR. */
export async function evaluateCocoTextSearch(app: App, log: (line: string) => void): Promise<CocoTextSearchResults | null> {
  const dir = path.join(app.config.assets.dir, COCO_SAMPLE_DIR);
  if (!existsSync(path.join(dir, 'captions.jsonl'))) return null;
  const photos = readSample(dir);
  const words = await queryWords(app, photos);
  const rows = await embedPhotos(app, photos, log);
  return {
    photos: photos.length,
    queries: words,
    withCaptions: await scoreInThrowawayStore(app, rows, photos, words),
    captionsHeldBack: await scoreInThrowawayStore(
      app,
      rows.map((row) => ({ ...row, captions: [], captionWords: [] })),
      photos,
      words,
    ),
  };
}

/** Summary lines: with captions, KEYWORD reads the captions relevance is judged by (the product, not the model). */
export function cocoSummaryRows(results: CocoTextSearchResults): [string, number][] {
  const label = `COCO sample text→image P@10, ${results.queries.length} caption words`;
  return TEXT_SEARCH_MODES.flatMap((mode): [string, number][] => [
    [`${label}, ${mode}, captions stored (product)`, results.withCaptions[mode]],
    [`${label}, ${mode}, captions held back (model)`, results.captionsHeldBack[mode]],
  ]);
}

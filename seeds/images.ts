// Embeds the Pascal Sentences images (and the reference set's, seeds/reference.ts)
// and stores them through the ImageWriter, as every photo is stored (rows,
// bytes, embeddings). Resumable: each batch is one transaction, and a re-run
// skips every image whose id or content hash is stored already, so nothing is
// embedded twice.
import { readFile } from 'node:fs/promises';
import { listPascalImages, type PascalImage } from '../src/dataset/pascal.js';
import { type Embedder, embeddingVersion } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { ImageRepository } from '../src/repositories/imageRepository.js';
import type { Repositories } from '../src/repositories/index.js';
import type { SeedStateRepository } from '../src/repositories/seedStateRepository.js';
import { TransferService } from '../src/services/transferService.js';
import { ImageProjectionCache } from '../src/services/imageProjectionCache.js';
import { ImageWriter, type EmbeddedPhoto } from '../src/services/imageWriter.js';
import { SEED_PHASES } from '../src/services/seedPhases.js';
import { groupBy } from '../src/lib/groupBy.js';
import { sha256 } from '../src/lib/hash.js';
import { createProgress } from '../src/lib/progress.js';

export const IMAGES_PHASE = SEED_PHASES.images.record;
const BATCH_SIZE = 16;
export const ALL_IMAGES = 0;

/** A collection of photo files the seed stores: what it is called, how its rows are marked, the seed state row that records it done. */
export interface PhotoSet {
  name: string;
  /** The rows' `source`. */
  origin: string;
  /** Stored as reference photos (migrations/014). */
  reference: boolean;
  record: string;
  /** The progress line's label. */
  label: string;
  /** Photos embedded together and stored in one transaction. */
  batchSize: number;
}

export const PASCAL_SET: PhotoSet = { name: 'Pascal Sentences', origin: 'pascal', reference: false, record: IMAGES_PHASE, label: 'images', batchSize: BATCH_SIZE };

/** A photo file of a set, with its id in the store. */
export interface SetPhoto {
  id: string;
  category: string | null;
  file: string;
  captions: string[];
}

export interface ImageSeedStores {
  images: ImageRepository;
  seedState: SeedStateRepository;
  /** Stores the photos: the one way every photo is stored. */
  writer: ImageWriter;
}

/** Straight over a store's repositories (the seed, tools and tests; the server writes through its serving ones). */
export function imageSeedStores(
  repositories: Pick<Repositories, 'images' | 'seedState' | 'projections' | 'transfers'>,
  embedder: Embedder,
  efSearch: number,
): ImageSeedStores {
  const { images, seedState, projections, transfers } = repositories;
  const writer = new ImageWriter(images, embedder, new ImageProjectionCache(projections), new TransferService(transfers, efSearch));
  return { images, seedState, writer };
}

/** Records which embedding recipe the stored vectors were made with. */
export const IMAGE_EMBEDDING_PHASE = 'image_embedding';

/**
 * Vectors made with another recipe (or before recipes were recorded) cannot be
 * compared with new ones: re-embed every stored image from its stored bytes.
 * An interrupted run starts over next time; rows are only updated, never added.
 */
export async function reembedIfRecipeChanged(
  images: ImageRepository,
  seedState: SeedStateRepository,
  embedder: Embedder,
  logger: Logger,
): Promise<number> {
  const version = embeddingVersion();
  const recorded = (await seedState.completed()).get(IMAGE_EMBEDDING_PHASE)?.version;
  if (recorded === version) return 0;
  const total = await images.count();
  if (total > 0) {
    logger.info(`re-embedding ${total} stored images: recipe ${String(recorded ?? 'unrecorded')} → ${version}`);
    const progress = createProgress('re-embed', total, 'images');
    let after = '';
    for (;;) {
      const batch = await images.bytesAfter(after, BATCH_SIZE);
      if (batch.length === 0) break;
      const embedded = await embedder.embedImages(batch.map((row) => row.bytes));
      await images.updateFeatures(batch.map((row, i) => ({ id: row.id, features: embedded[i]!.features })));
      progress.tick(batch.length);
      after = batch.at(-1)!.id;
    }
    progress.finish();
  }
  await seedState.markDone(IMAGE_EMBEDDING_PHASE, { version });
  return total;
}

export interface SeedImagesOptions {
  assetsDir: string;
  /** 0 = all; otherwise the first N in category-interleaved order (balanced categories). */
  limit: number;
}

export interface SeedImagesResult {
  skipped: boolean;
  images: number;
  embedded: number;
  seconds: number;
}

/** 1st of every category, then 2nd of every category, ...: any prefix is balanced. */
export function interleaveByCategory(images: readonly PascalImage[]): PascalImage[] {
  const lists = [...groupBy(images, (image) => image.category).values()];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const out: PascalImage[] = [];
  for (let i = 0; i < longest; i++) for (const list of lists) if (list[i]) out.push(list[i]!);
  return out;
}

type PreparedImage = Omit<EmbeddedPhoto, 'embedded'>;

async function prepare(image: SetPhoto): Promise<PreparedImage> {
  const bytes = await readFile(image.file);
  return { id: image.id, category: image.category, captions: image.captions, contentHash: sha256(bytes), bytes };
}

export interface ImageSeedPlan {
  set: PhotoSet;
  /** Seeded by an earlier run: nothing to do. */
  skipped: boolean;
  wanted: number;
  stored: number;
  missing: SetPhoto[];
}

export interface ImageSeedHooks {
  /** Images embedded so far (stored or waiting to be), of how many. */
  onEmbedded?(embedded: number, total: number): void;
  /** Images stored so far, of how many. */
  onStored?(stored: number, total: number): void;
  /** Awaited after each batch is stored, before the next is (the reference set refreshes transfers there). */
  afterStore?(stored: number): Promise<void>;
}

/** What is missing: the store is asked before the phase starts (the embedded store may then be busy with the word index). */
export async function planImages(
  { images, seedState }: Pick<ImageSeedStores, 'images' | 'seedState'>,
  embedder: Embedder,
  options: SeedImagesOptions,
  logger: Logger,
): Promise<ImageSeedPlan> {
  await reembedIfRecipeChanged(images, seedState, embedder, logger);
  const all = interleaveByCategory(listPascalImages(options.assetsDir));
  const listed = options.limit === ALL_IMAGES ? all : all.slice(0, options.limit);
  return planSet({ images, seedState }, PASCAL_SET, listed);
}

/** What of `listed` is missing: photos a person deleted stay deleted, stored ones are skipped. */
export async function planSet(
  { images, seedState }: Pick<ImageSeedStores, 'images' | 'seedState'>,
  set: PhotoSet,
  listed: readonly SetPhoto[],
): Promise<ImageSeedPlan> {
  // A person deleted these (deleteImage): they stay deleted.
  const deleted = await images.deleted(listed.map((image) => image.id), []);
  const wanted = listed.filter((image) => !deleted.ids.has(image.id));
  const previous = (await seedState.completed()).get(set.record);
  const stored = await images.existing(wanted.map((image) => image.id), []);
  const skipped = Boolean(previous) && stored.ids.size >= wanted.length;
  if (!skipped) await seedState.clear(set.record);
  const missing = wanted.filter((image) => !stored.ids.has(image.id));
  return { set, skipped, wanted: wanted.length, stored: stored.ids.size, missing };
}

/**
 * Embeds the missing images and stores them. Embedding runs ahead of storing:
 * when the store is busy (the embedded one building the word index), embedded
 * batches wait in memory and are stored in order once it answers again.
 */
export async function embedPlannedImages(
  { images, seedState, writer }: ImageSeedStores,
  embedder: Embedder,
  plan: ImageSeedPlan,
  logger: Logger,
  hooks: ImageSeedHooks = {},
): Promise<SeedImagesResult> {
  if (plan.skipped) return { skipped: true, images: await images.count(), embedded: 0, seconds: 0 };
  const started = Date.now();
  const { missing, set } = plan;
  logger.info(`embedding ${missing.length} ${set.name} images (${plan.stored} stored already)`);
  const progress = createProgress(set.label, plan.wanted, 'images', process.stderr, plan.stored);
  let embedded = 0;
  let storedSoFar = plan.stored;
  let storing: Promise<void> = Promise.resolve();
  let failed: Error | undefined;
  const store = async (batch: PreparedImage[], embeddings: Awaited<ReturnType<Embedder['embedImages']>>) => {
    // Same bytes under another id (an earlier upload) are not stored again,
    // nor bytes a person deleted under another id.
    const ids = batch.map((image) => image.id);
    const hashes = batch.map((image) => image.contentHash);
    const [known, deletedBytes] = await Promise.all([images.existing(ids, hashes), images.deleted([], hashes)]);
    // Recorded under the dataset id too, so the next seed skips it without reading it.
    const deletedHere = batch.filter((image) => deletedBytes.hashes.has(image.contentHash));
    await images.recordDeleted(deletedHere.map(({ id, contentHash }) => ({ id, contentHash, origin: set.origin })));
    const fresh = batch.flatMap((image, i) =>
      known.ids.has(image.id) || known.hashes.has(image.contentHash) || deletedBytes.hashes.has(image.contentHash)
        ? []
        : [{ ...image, embedded: embeddings[i]! }],
    );
    // The phases that follow fit the projection and the word model on them, and compute their transfers.
    const inserted = await writer.store(fresh, set.origin, set.reference);
    embedded += inserted.length;
    storedSoFar += batch.length;
    progress.tick(batch.length);
    hooks.onStored?.(storedSoFar, plan.wanted);
    await hooks.afterStore?.(storedSoFar);
  };
  for (let start = 0; start < missing.length; start += set.batchSize) {
    const batch = await Promise.all(missing.slice(start, start + set.batchSize).map(prepare));
    const embeddings = await embedder.embedImages(batch.map((image) => image.bytes));
    hooks.onEmbedded?.(plan.stored + start + batch.length, plan.wanted);
    // After a failure no later batch is stored: the store is left as a stop would leave it.
    storing = storing.then(() => (failed ? undefined : store(batch, embeddings))).catch((err: unknown) => {
      failed ??= err as Error;
    });
    // A failed store ends the phase now rather than after every image is embedded.
    if (failed) break;
  }
  await storing;
  if (failed) throw failed;
  progress.finish();
  const seconds = (Date.now() - started) / 1000;
  const count = set.reference ? plan.stored + embedded : await images.count();
  const msPerImage = embedded > 0 ? (1000 * seconds) / embedded : 0;
  logger.info(`${set.label} ready: ${count} images, ${embedded} embedded in ${seconds.toFixed(1)} s (${msPerImage.toFixed(0)} ms/image)`);
  await seedState.markDone(set.record, { images: count, embedded, seconds, msPerImage });
  return { skipped: false, images: count, embedded, seconds };
}

export async function seedImages(
  stores: ImageSeedStores,
  embedder: Embedder,
  options: SeedImagesOptions,
  logger: Logger,
): Promise<SeedImagesResult> {
  const plan = await planImages(stores, embedder, options, logger);
  return embedPlannedImages(stores, embedder, plan, logger);
}

// Seed phase `reference`: the reference set (7,091 captioned everyday photos
// of Flickr8k) stored as reference photos, after the four questions are ready:
// they teach tags and text search (their captions are the nearest captioned
// photos of the owner's), and no answer lists them unless asked. Embedded
// through the image model and stored through the ImageWriter in batches, as
// every photo is, 8 a transaction; every REFRESH_EVERY photos, and at the end, the caption
// transfers they change are refreshed, so answers improve while it runs.
// Resumable (stored photos are skipped), done once (a later start only reads
// the seed state), and off with REFERENCE_SET=none or after `npm run
// reference -- --remove`.
import type { Config } from '../src/config.js';
import { ensureReferenceSet } from '../src/assets/ensure.js';
import { listReferencePhotos, REFERENCE_ORIGIN } from '../src/dataset/referenceSet.js';
import type { Embedder } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { Repositories } from '../src/repositories/index.js';
import { SEED_PHASES } from '../src/services/seedPhases.js';
import { TransferService } from '../src/services/transferService.js';
import { compactPhotos } from './compact.js';
import { embedPlannedImages, imageSeedStores, planSet, type PhotoSet } from './images.js';

export const REFERENCE_PHASE = SEED_PHASES.reference.record;

export const FLICKR8K_SET: PhotoSet = {
  name: 'reference set (Flickr8k)',
  origin: REFERENCE_ORIGIN,
  reference: true,
  record: REFERENCE_PHASE,
  label: 'reference',
  // It runs after readiness: each batch's transaction (rows, bytes, duplicates, neighbours marked) stays short.
  batchSize: 8,
};

/** Reference photos stored between two refreshes of the transfers they change. */
const REFRESH_EVERY = 1024;

export interface ReferenceHooks {
  /** The photos to store (of how many the set has), once known. */
  onPlanned?(total: number, stored: number): void;
  onStored?(stored: number, total: number): void;
}

export interface ReferenceOutcome {
  /** Why nothing was done, when nothing was. */
  skipped?: 'off' | 'done' | 'removed';
  added: number;
}

/** What the seed state says of the reference set: loaded, removed by the operator, or neither. */
export async function referenceState(seedState: Repositories['seedState']): Promise<'done' | 'removed' | undefined> {
  const recorded = (await seedState.completed()).get(REFERENCE_PHASE);
  if (!recorded) return undefined;
  return recorded.removed ? 'removed' : 'done';
}

/** What the reference set's phases (storing it, then training the word model again) work with. */
export interface ReferenceDeps {
  config: Config;
  logger: Logger;
  repositories: Repositories;
  embedder: Embedder;
}

export async function seedReference(
  deps: ReferenceDeps,
  hooks: ReferenceHooks = {},
): Promise<ReferenceOutcome> {
  const { config, logger, repositories, embedder } = deps;
  if (config.referenceSet === 'none') return { skipped: 'off', added: 0 };
  const state = await referenceState(repositories.seedState);
  if (state) return { skipped: state, added: 0 };
  await ensureReferenceSet(config.assets, (message) => logger.info(message));
  const stores = imageSeedStores(repositories, embedder, config.images.efSearch);
  const listed = listReferencePhotos(config.assets.dir).map((photo) => ({ ...photo, category: null }));
  const plan = await planSet(stores, FLICKR8K_SET, listed);
  hooks.onPlanned?.(plan.wanted, plan.stored);
  const transfer = new TransferService(repositories.transfers, config.images.efSearch);
  let refreshedAt = plan.stored;
  const result = await embedPlannedImages(stores, embedder, plan, logger, {
    onStored: hooks.onStored,
    afterStore: async (stored) => {
      if (stored - refreshedAt < REFRESH_EVERY) return;
      refreshedAt = stored;
      await transfer.refresh();
      // Each refresh rewrites up to every owner's photo twice (marked stale, recomputed): freed now, a
      // VACUUM stays short (left to the end, seven refreshes' dead rows held the store 27.7 s at load 15).
      await repositories.images.removeDeadRows();
    },
  });
  // The owner's photos near the last ones stored; an interrupted refresh is finished by the next start's transfer phase.
  await transfer.refresh();
  await compactPhotos(repositories.images, logger);
  return { added: result.embedded };
}

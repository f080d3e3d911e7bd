// The services the API answers from, built over the repositories and models.
import type { DuplicateService } from './duplicateService.js';
import type { TransferService } from './transferService.js';
import type { HealthService } from './healthService.js';
import type { ImageService } from './imageService.js';
import type { ImageTextService } from './imageTextService.js';
import type { Metrics } from './metrics.js';
import type { PhotoFiles } from './photoFiles.js';
import type { SteeredSimilarity } from './steeredSimilarity.js';
import type { Warmup } from './warmup.js';
import type { WordService } from './wordService.js';

export interface Services {
  words: WordService;
  images: ImageService;
  /** similarImages steered by a text ("like this photo, but…"). */
  steered: SteeredSimilarity;
  /** Groups of copies of one photo. */
  duplicates: DuplicateService;
  /** Stored photos' bytes for GET /images, read in slices. */
  photos: PhotoFiles;
  imageText: ImageTextService;
  health: HealthService;
  /** Keeps the transferred caption vectors current after writes. */
  transfer: TransferService;
  /** What a first start has ready so far. */
  warmup: Warmup;
  /** What the server does, for GET /metrics. */
  metrics: Metrics;
  /** Nested searches (Word.similar, Image.similar, Image.tags) batched into one statement at most: the store's slice. */
  searchesPerStatement: number;
}

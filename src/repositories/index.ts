// Every repository, built over the store's pools: the one place that knows
// which repository reads from the replica and which only from the primary.
import type pg from 'pg';
import { CaptionTransferRepository } from './captionTransferRepository.js';
import { ImageFileRepository } from './imageFileRepository.js';
import { ImageProjectionRepository } from './imageProjectionRepository.js';
import { ImageRepository } from './imageRepository.js';
import { ImageTextRepository } from './imageTextRepository.js';
import { SeedStateRepository } from './seedStateRepository.js';
import { WORD_INDEX, WordRepository } from './wordRepository.js';

export interface Repositories {
  words: WordRepository;
  images: ImageRepository;
  imageFiles: ImageFileRepository;
  imageText: ImageTextRepository;
  projections: ImageProjectionRepository;
  transfers: CaptionTransferRepository;
  seedState: SeedStateRepository;
}

export function createRepositories(pools: {
  kind: keyof typeof WORD_INDEX;
  primary: pg.Pool;
  reader: pg.Pool;
}): Repositories {
  const { primary, reader } = pools;
  return {
    words: new WordRepository(primary, reader, WORD_INDEX[pools.kind]),
    images: new ImageRepository(primary, reader),
    imageFiles: new ImageFileRepository(reader),
    imageText: new ImageTextRepository(primary, reader),
    projections: new ImageProjectionRepository(primary),
    transfers: new CaptionTransferRepository(primary),
    seedState: new SeedStateRepository(primary),
  };
}

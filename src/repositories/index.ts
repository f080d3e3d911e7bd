// Every repository, built over the store's pools: the one place that knows
// which repository reads from the replica and which only from the primary.
import type pg from 'pg';
import { ImageProjectionRepository } from './imageProjectionRepository.js';
import { ImageRepository } from './imageRepository.js';
import { SeedStateRepository } from './seedStateRepository.js';
import { TagRepository } from './tagRepository.js';
import { WordRepository } from './wordRepository.js';
import { WordSpaceRepository } from './wordSpaceRepository.js';

export interface Repositories {
  words: WordRepository;
  images: ImageRepository;
  tags: TagRepository;
  wordSpace: WordSpaceRepository;
  projections: ImageProjectionRepository;
  seedState: SeedStateRepository;
}

export function createRepositories(pools: { primary: pg.Pool; reader: pg.Pool }): Repositories {
  const { primary, reader } = pools;
  return {
    words: new WordRepository(primary, reader),
    images: new ImageRepository(primary, reader),
    tags: new TagRepository(primary, reader),
    wordSpace: new WordSpaceRepository(primary, reader),
    projections: new ImageProjectionRepository(primary),
    seedState: new SeedStateRepository(primary),
  };
}

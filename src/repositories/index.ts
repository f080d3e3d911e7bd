// Every repository, built over the store's pools: the one place that knows
// which repository reads from the replica and which only from the primary.
import type pg from 'pg';
import { DuplicateRepository } from './duplicateRepository.js';
import { TransferRepository } from './transferRepository.js';
import { ImageFileRepository } from './imageFileRepository.js';
import { EvalTextSearchRepository } from './evalTextSearchRepository.js';
import { ImageProjectionRepository } from './imageProjectionRepository.js';
import { ImageRepository } from './imageRepository.js';
import { ReferencePhotoRepository } from './referencePhotoRepository.js';
import { SeedStateRepository } from './seedStateRepository.js';
import { TagRepository } from './tagRepository.js';
import { TagVocabularyRepository } from './tagVocabularyRepository.js';
import { TextSearchRepository } from './textSearchRepository.js';
import { WORD_INDEX, WordRepository } from './wordRepository.js';
import { WordSpaceRepository } from './wordSpaceRepository.js';

export interface Repositories {
  words: WordRepository;
  images: ImageRepository;
  duplicates: DuplicateRepository;
  imageFiles: ImageFileRepository;
  textSearch: TextSearchRepository;
  tags: TagRepository;
  projections: ImageProjectionRepository;
  transfers: TransferRepository;
  seedState: SeedStateRepository;
  referencePhotos: ReferencePhotoRepository;
  // Seeding and the evaluation only.
  tagVocabulary: TagVocabularyRepository;
  wordSpace: WordSpaceRepository;
  evalTextSearch: EvalTextSearchRepository;
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
    duplicates: new DuplicateRepository(primary, reader),
    imageFiles: new ImageFileRepository(reader),
    textSearch: new TextSearchRepository(reader),
    tags: new TagRepository(reader),
    projections: new ImageProjectionRepository(primary),
    transfers: new TransferRepository(primary),
    seedState: new SeedStateRepository(primary),
    referencePhotos: new ReferencePhotoRepository(primary),
    tagVocabulary: new TagVocabularyRepository(primary, reader),
    wordSpace: new WordSpaceRepository(primary, reader),
    evalTextSearch: new EvalTextSearchRepository(reader),
  };
}

// Photos for the text search tests: each stands in word space at a chosen
// GloVe word (real vectors), with the captions the test gives it, stored
// through the repository so every expectation is known in advance.
import { createHash } from 'node:crypto';
import { captionWordList } from '../../src/embedding/index.js';
import { l2Normalize } from '../../src/lib/vectors.js';
import { createLogger } from '../../src/logger.js';
import type { NewImage } from '../../src/repositories/imageRepository.js';
import { seedWords } from '../../seeds/words.js';
import type { TestApp } from './app.js';

export interface Photo {
  id: string;
  /** The GloVe word whose vector stands for the photo in word space. */
  near: string;
  category: string;
  captions: string[];
}

/** A deterministic unit vector of `dims` numbers from a name (stands for image features nobody searches here). */
export function pseudoVector(name: string, dims = 768): Float32Array {
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) vector[i] = createHash('sha256').update(`${name}:${i}`).digest().readInt16BE(0);
  return l2Normalize(vector);
}

/** A stored photo made of vectors alone: `embedding` stands for its image features, `wordEmbedding` for its word-space vector. */
export function photoRow(photo: {
  id: string;
  category: string | null;
  captions: string[];
  embedding: Float32Array;
  wordEmbedding: Float32Array;
  reference?: boolean;
}): NewImage {
  return {
    id: photo.id,
    category: photo.category,
    captions: photo.captions,
    captionWords: captionWordList(photo.captions),
    width: 4,
    height: 3,
    contentHash: createHash('sha256').update(photo.id).digest('hex'),
    origin: 'upload',
    reference: photo.reference ?? false,
    features: photo.embedding,
    embedding: photo.embedding,
    projectionVersion: null,
    wordEmbedding: photo.wordEmbedding,
    hashes: null,
    mimeType: 'image/jpeg',
    bytes: Buffer.from(photo.id),
  };
}

/** Seeds the words, stores `photos`; returns the unit vectors of their words (and snow, dogs). */
export async function storePhotos(t: TestApp, photos: readonly Photo[]): Promise<Map<string, Float32Array>> {
  const { words, seedState, images } = t.app.repositories;
  await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, createLogger('silent'));
  const vectors = await words.findVectors([...photos.map((p) => p.near), 'snow', 'dogs']);
  const unit = new Map([...vectors].map(([word, vector]) => [word, l2Normalize(vector)]));
  await images.insert(
    photos.map((photo) =>
      photoRow({ ...photo, embedding: pseudoVector(photo.id, 768), wordEmbedding: unit.get(photo.near)! }),
    ),
  );
  return unit;
}


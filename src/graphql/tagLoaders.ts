// Per-request DataLoaders for the image ↔ text fields: Image.tags of every
// image in a response is one query per distinct `first`, not one per image.
import DataLoader from 'dataloader';
import type { TagMatch, TextImageService } from '../services/textImageService.js';

export interface TagLoaders {
  tagsFor(first: number): DataLoader<string, TagMatch[]>;
  wordVectorById: DataLoader<string, Float32Array | null>;
}

export function createTagLoaders(service: TextImageService): TagLoaders {
  const byFirst = new Map<number, DataLoader<string, TagMatch[]>>();
  return {
    tagsFor(first) {
      let loader = byFirst.get(first);
      if (!loader) {
        loader = new DataLoader((ids) => service.tagsForImages(ids, first));
        byFirst.set(first, loader);
      }
      return loader;
    },
    wordVectorById: new DataLoader((ids) => service.wordVectors(ids)),
  };
}

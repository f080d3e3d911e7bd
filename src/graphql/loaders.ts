// Per-request DataLoaders, created fresh for each request so batching and
// caching never leak between clients: every Image lookup in one request is one
// query, and Image.tags of every image in a response is one query per distinct
// `first`, not one per image.
import DataLoader from 'dataloader';
import type { Services } from '../services/index.js';
import type { ImageRecord } from '../services/imageService.js';
import type { TagMatch } from '../services/imageTextService.js';

export interface Loaders {
  imageById: DataLoader<string, ImageRecord | null>;
  tagsFor(first: number): DataLoader<string, TagMatch[]>;
}

export function createLoaders(services: Services): Loaders {
  const tagsByFirst = new Map<number, DataLoader<string, TagMatch[]>>();
  return {
    imageById: new DataLoader((ids) => services.images.findByIds(ids)),
    tagsFor(first) {
      let loader = tagsByFirst.get(first);
      if (!loader) {
        loader = new DataLoader((ids) => services.imageText.tagsForImages(ids, first));
        tagsByFirst.set(first, loader);
      }
      return loader;
    },
  };
}

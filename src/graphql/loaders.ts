// Per-request DataLoaders: every Image lookup in one request is batched into
// one query and cached for the rest of that request only.
import DataLoader from 'dataloader';
import type { Services } from '../app.js';
import type { ImageRecord } from '../repositories/imageRepository.js';

export interface Loaders {
  imageById: DataLoader<string, ImageRecord | null>;
}

export function createLoaders(services: Services): Loaders {
  return {
    imageById: new DataLoader((ids) => services.images.findByIds(ids)),
  };
}

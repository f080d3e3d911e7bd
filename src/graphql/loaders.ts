// Per-request DataLoaders, created fresh for each request so batching and
// caching never leak between clients: every Image lookup in one request is one
// query, and each nested search (Word.similar, Image.similar, Image.tags) of
// every parent in a response is one statement per distinct `first`, not one
// per parent; the embedded store's statements hold at most
// `searchesPerStatement` searches, so other requests get their turn between them.
import DataLoader from 'dataloader';
import type { Services } from '../services/index.js';
import type { ImageMatch, ImageRecord } from '../services/imageService.js';
import type { TagMatch } from '../services/imageTextService.js';
import type { Vote } from '../services/voteEvidence.js';
import type { WordMatch } from '../services/wordService.js';

export interface Loaders {
  imageById: DataLoader<string, ImageRecord | null>;
  tagsFor(first: number): DataLoader<string, TagMatch[]>;
  /** `first` as the client gave it: the service checks it and applies its default. */
  similarImagesTo(first: number | null | undefined, includeReference?: boolean | null): DataLoader<string, ImageMatch[]>;
  similarWordsTo(first: number | null | undefined): DataLoader<string, WordMatch[]>;
  /** ImageMatch.evidence: who voted for a photo's text-search vote for some keys; every match of a response in one read. */
  textVotes: DataLoader<{ imageId: string; keys: readonly string[] }, Vote[], string>;
}

/** One loader per `first`, made when first asked for. */
function byFirst<V, F extends number | null | undefined>(
  batch: (keys: readonly string[], first: F) => Promise<(V | Error)[]>,
  maxBatchSize: number,
) {
  const loaders = new Map<F, DataLoader<string, V>>();
  return (first: F) => {
    let loader = loaders.get(first);
    if (!loader) {
      loader = new DataLoader<string, V>((keys) => batch(keys, first), { maxBatchSize });
      loaders.set(first, loader);
    }
    return loader;
  };
}

export function createLoaders(services: Services): Loaders {
  const slice = services.searchesPerStatement;
  const similarOwned = byFirst((ids, first) => services.images.similarToEach(ids, first), slice);
  const similarWithReference = byFirst((ids, first) => services.images.similarToEach(ids, first, true), slice);
  return {
    imageById: new DataLoader((ids) => services.images.findByIds(ids)),
    tagsFor: byFirst((ids, first) => services.imageText.tagsForImages(ids, first), slice),
    similarImagesTo: (first, includeReference) => (includeReference ? similarWithReference : similarOwned)(first),
    similarWordsTo: byFirst((texts, first) => services.words.similarToEach(texts, first), slice),
    textVotes: new DataLoader((asked) => services.imageText.textVotes(asked), {
      cacheKeyFn: ({ imageId, keys }) => JSON.stringify([imageId, keys]),
    }),
  };
}

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

type TextVoteKey = { imageId: string; keys: readonly string[] };

/**
 * The loaders of one request, each made when first asked for: most requests
 * use one or none, and a request's context is made for every question.
 * Methods and getters, not closures: nothing is allocated for a loader never used.
 */
class RequestLoaders implements Loaders {
  private imageLoader?: DataLoader<string, ImageRecord | null>;
  private votesLoader?: DataLoader<TextVoteKey, Vote[], string>;
  /** One loader per kind of nested search and `first`. */
  private readonly searches = new Map<string, DataLoader<string, unknown>>();

  constructor(private readonly services: Services) {}

  get imageById(): DataLoader<string, ImageRecord | null> {
    return (this.imageLoader ??= new DataLoader((ids) => this.services.images.findByIds(ids)));
  }

  get textVotes(): DataLoader<TextVoteKey, Vote[], string> {
    return (this.votesLoader ??= new DataLoader((asked) => this.services.imageText.textVotes(asked), {
      cacheKeyFn: ({ imageId, keys }) => JSON.stringify([imageId, keys]),
    }));
  }

  tagsFor(first: number): DataLoader<string, TagMatch[]> {
    return this.search(`tags:${first}`, (ids) => this.services.imageText.tagsForImages(ids, first));
  }

  similarImagesTo(first: number | null | undefined, includeReference?: boolean | null): DataLoader<string, ImageMatch[]> {
    const withReference = includeReference ? true : undefined;
    return this.search(`images:${withReference ?? false}:${first}`, (ids) => this.services.images.similarToEach(ids, first, withReference));
  }

  similarWordsTo(first: number | null | undefined): DataLoader<string, WordMatch[]> {
    return this.search(`words:${first}`, (texts) => this.services.words.similarToEach(texts, first));
  }

  /** The loader of `key`, made with `batch` the first time; each statement holds at most searchesPerStatement searches. */
  private search<V>(key: string, batch: (keys: readonly string[]) => Promise<(V | Error)[]>): DataLoader<string, V> {
    let loader = this.searches.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>(batch, { maxBatchSize: this.services.searchesPerStatement });
      this.searches.set(key, loader as DataLoader<string, unknown>);
    }
    return loader;
  }
}

export function createLoaders(services: Services): Loaders {
  return new RequestLoaders(services);
}

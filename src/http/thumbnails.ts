// Thumbnails by photo and width, kept in memory up to a byte bound (the least
// recently used go first), so a repeat costs a lookup, not a read of the
// original and a resize. Keyed by the photo's content hash: the bytes under
// an id never change (updateImage changes only category and captions), and a
// deleted photo's id is answered 404 before the cache is asked, so nothing
// needs invalidating; what nobody asks for ages out. Concurrent requests for
// the same thumbnail share one resize, and at most RESIZES_AT_ONCE originals
// are read and resized at once, which bounds their memory.
import { loadSharp } from '../lib/sharp.js';
import { Semaphore } from '../lib/semaphore.js';

export const RESIZES_AT_ONCE = 2;
/** One thumbnail may take at most this share of the cache (a 1024-wide PNG can be a few MB). */
const LARGEST_SHARE = 1 / 8;
const THUMBNAIL_FORMAT = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' } as const;

/** A thumbnail `width` wide (never enlarged), in the original's format. */
export async function resize(bytes: Buffer, mimeType: string, width: number): Promise<Buffer> {
  const format = THUMBNAIL_FORMAT[mimeType as keyof typeof THUMBNAIL_FORMAT] ?? 'jpeg';
  const sharp = await loadSharp();
  return sharp(bytes).rotate().resize({ width, withoutEnlargement: true }).toFormat(format).toBuffer();
}

export class ThumbnailCache {
  private readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;
  private readonly making = new Map<string, Promise<Buffer | null>>();
  private readonly resizes = new Semaphore(RESIZES_AT_ONCE);
  /** Answers from the cache, and thumbnails made (a shared resize counts once). */
  readonly counts = { hits: 0, made: 0 };

  constructor(private readonly maxBytes: number) {}

  /** The thumbnail under `key`, kept or made by `make` (null: nothing to make it from, not kept). */
  get(key: string, make: () => Promise<Buffer | null>): Promise<Buffer | null> {
    const hit = this.kept.get(key);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.kept.delete(key);
      this.kept.set(key, hit);
      this.counts.hits++;
      return Promise.resolve(hit);
    }
    let pending = this.making.get(key);
    if (!pending) {
      this.counts.made++;
      pending = this.resizes.run(make).finally(() => this.making.delete(key));
      pending.then((thumbnail) => thumbnail && this.keep(key, thumbnail), () => undefined);
      this.making.set(key, pending);
    }
    return pending;
  }

  get bytes(): number {
    return this.keptBytes;
  }

  private keep(key: string, thumbnail: Buffer): void {
    if (thumbnail.length > this.maxBytes * LARGEST_SHARE || this.kept.has(key)) return;
    this.kept.set(key, thumbnail);
    this.keptBytes += thumbnail.length;
    for (const [oldest, value] of this.kept) {
      if (this.keptBytes <= this.maxBytes) break;
      this.kept.delete(oldest);
      this.keptBytes -= value.length;
    }
  }
}

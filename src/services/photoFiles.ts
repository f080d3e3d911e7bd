// Stored photos for serving, read a slice at a time: a slice per query and at
// most READS_AT_ONCE slice queries in the store's queue, so a 10 MB photo
// never holds the embedded store's one connection for more than one slice
// while other queries wait, and 16 readers of large photos add at most a few
// slices' wait to anyone else's query.
import type { ImageFileInfo, ImageFileRepository } from '../repositories/imageFileRepository.js';
import { Semaphore } from '../lib/semaphore.js';

export type { ImageFileInfo };

/** Bytes read by one query: a few milliseconds of the store's time. */
export const SLICE_BYTES = 256 * 1024;
/** Slice queries at once, across every reader. */
export const READS_AT_ONCE = 2;

export class PhotoFiles {
  private readonly reads = new Semaphore(READS_AT_ONCE);

  constructor(private readonly files: ImageFileRepository) {}

  /** The photo's type, content hash and size, without its bytes; null when there is none. */
  info(id: string): Promise<ImageFileInfo | null> {
    return this.files.fileInfo(id);
  }

  /** The photo's bytes, slice by slice in order; stops early when the photo was deleted meanwhile. */
  async *slices(id: string, size: number): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < size; offset += SLICE_BYTES) {
      const slice = await this.reads.run(() => this.files.fileSlice(id, offset, SLICE_BYTES));
      if (!slice || slice.length === 0) return;
      yield slice;
    }
  }

  /** The whole photo, read in slices; null when it was deleted meanwhile. */
  async bytes(id: string, size: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let read = 0;
    for await (const slice of this.slices(id, size)) {
      parts.push(slice);
      read += slice.length;
    }
    return read === size ? Buffer.concat(parts, size) : null;
  }
}

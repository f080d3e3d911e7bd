// The SQL of stored photo bytes: whole (tools), or their size and slices
// (serving: src/services/photoFiles.ts reads a photo a slice at a time).
import type pg from 'pg';

export interface ImageFile {
  mimeType: string;
  bytes: Buffer;
  contentHash: string;
}

/** A stored photo without its bytes: enough to answer a cached thumbnail or a 304. */
export interface ImageFileInfo {
  mimeType: string;
  contentHash: string;
  /** Bytes of the original. */
  size: number;
}

export class ImageFileRepository {
  constructor(private readonly reader: pg.Pool) {}

  /** The whole photo in one query: for tools, not for serving. */
  async file(id: string): Promise<ImageFile | null> {
    const result = await this.reader.query<ImageFile>(
      `SELECT f.mime_type AS "mimeType", f.bytes, i.content_hash AS "contentHash"
       FROM image_files f JOIN images i ON i.id = f.image_id WHERE f.image_id = $1`,
      [id],
    );
    return result.rows[0] ?? null;
  }

  /** The photo's type, hash and size; octet_length reads the stored length, not the bytes. */
  async fileInfo(id: string): Promise<ImageFileInfo | null> {
    const result = await this.reader.query<ImageFileInfo>(
      `SELECT f.mime_type AS "mimeType", i.content_hash AS "contentHash", octet_length(f.bytes)::int AS size
       FROM image_files f JOIN images i ON i.id = f.image_id WHERE f.image_id = $1`,
      [id],
    );
    return result.rows[0] ?? null;
  }

  /**
   * `length` bytes of the photo from `offset` (0-based); null when it is gone.
   * Photos barely compress, so PostgreSQL usually keeps their bytes uncompressed out
   * of line and reads only the TOAST chunks of the slice.
   */
  async fileSlice(id: string, offset: number, length: number): Promise<Buffer | null> {
    const result = await this.reader.query<{ bytes: Buffer }>(
      'SELECT substring(bytes FROM $2 FOR $3) AS bytes FROM image_files WHERE image_id = $1',
      [id, offset + 1, length],
    );
    return result.rows[0]?.bytes ?? null;
  }
}

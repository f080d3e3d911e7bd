// All SQL about images: rows, bytes, and nearest-neighbour search.
import pg from 'pg';
import type { PerceptualHashes } from '../embedding/index.js';
import { withTransaction } from '../lib/transaction.js';
import { COLUMNS, type ImageRecord } from './imageColumns.js';
import { NEAREST, NEAREST_AFTER, NEAREST_TO_STORED_MANY, scopeCondition, type PhotoScope, type QueryTarget } from './imageSearchQueries.js';
import { countOf, queryWithHnsw } from './queryRunner.js';
import { toArrayLiteral, toFloat32, vectorParam } from './sqlParams.js';
import { moveTailRowsForward, type TailMove } from './tailRows.js';
import { linkDuplicates, relinkDuplicates } from './duplicateUpkeep.js';
import { captionsWritten, fillTagWords, markNeighboursStale } from './transferUpkeep.js';

export type { ImageRecord } from './imageColumns.js';
export type { PhotoScope } from './imageSearchQueries.js';

export interface NewImage extends Omit<ImageRecord, 'createdAt'> {
  /** Each caption's distinct content words, concatenated (captionWordList). */
  captionWords: readonly string[];
  /** The image model's output. */
  features: Float32Array;
  /** The searched vector: `features` through the projection named by `projectionVersion` (null: none). */
  embedding: Float32Array;
  projectionVersion: string | null;
  /** The image in word space; null until the image → word model exists (the model phase fills it in). */
  wordEmbedding: Float32Array | null;
  /** Its perceptual hashes: the duplicates it has are found as it is stored (null: the seed's duplicates phase hashes it). */
  hashes: PerceptualHashes | null;
  mimeType: string;
  bytes: Uint8Array;
}

/** Fields of a stored image a person may change; undefined leaves one as it is. */
export interface ImageChanges {
  category?: string | null;
  captions?: readonly string[];
  /** The new captions' words (captionWordList), given with `captions`. */
  captionWords?: readonly string[];
}

export interface NearestOptions {
  first: number;
  /** The owner's photos alone (the default), or reference photos too. */
  scope?: PhotoScope;
  category?: string;
  /** How many images `category` holds, when the caller has counted them already (it picks the scan). */
  categorySize?: number;
  maxDistance?: number;
  efSearch: number;
  /** A later page: only images after this one in (distance, id) order. */
  after?: { distance: number; id: string };
}

export interface ImageMatchRow extends ImageRecord {
  distance: number;
}

/**
 * Up to this many rows in a category, a filtered search is an exact scan of
 * the category (via the btree index): exact and fast. Beyond it, the HNSW
 * index with pgvector 0.8 iterative scans, which keep walking the graph until
 * enough rows pass the filter.
 */
export const EXACT_SCAN_MAX_ROWS = 20_000;

/** ` AND <condition>` of `scope` for a WHERE clause, or nothing. */
const andScope = (scope: PhotoScope) => (scope === 'owned' ? ` AND ${scopeCondition(scope)}` : '');

export class ImageRepository {
  constructor(
    private readonly primary: pg.Pool,
    private readonly reader: pg.Pool,
    private readonly exactScanMaxRows = EXACT_SCAN_MAX_ROWS,
  ) {}

  async count(category?: string, scope: PhotoScope = 'owned'): Promise<number> {
    return countOf(this.reader, `SELECT count(*)::int AS n FROM images WHERE ($1::text IS NULL OR category = $1) ${andScope(scope)}`, [
      category ?? null,
    ]);
  }


  /** In the order of `ids`; null where there is no such image. */
  async findByIds(ids: readonly string[]): Promise<(ImageRecord | null)[]> {
    const result = await this.reader.query<ImageRecord>(`SELECT ${COLUMNS} FROM images WHERE id = ANY($1::text[])`, [
      ids,
    ]);
    const byId = new Map(result.rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async findEmbeddings(ids: readonly string[]): Promise<(Float32Array | null)[]> {
    const result = await this.reader.query<{ id: string; embedding: number[] }>(
      'SELECT id, embedding FROM images WHERE id = ANY($1::text[])',
      [ids],
    );
    const byId = new Map(result.rows.map((row) => [row.id, toFloat32(row.embedding)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async findByContentHash(hash: string): Promise<ImageRecord | null> {
    // The primary: an upload retried right after its first attempt must see it.
    const result = await this.primary.query<ImageRecord>(`SELECT ${COLUMNS} FROM images WHERE content_hash = $1`, [hash]);
    return result.rows[0] ?? null;
  }

  /** The stored images with these content hashes, by hash (the primary: see findByContentHash). */
  async findByContentHashes(hashes: readonly string[]): Promise<Map<string, ImageRecord>> {
    const result = await this.primary.query<ImageRecord>(
      `SELECT ${COLUMNS} FROM images WHERE content_hash = ANY($1::text[])`,
      [hashes],
    );
    return new Map(result.rows.map((row) => [row.contentHash, row]));
  }

  /** Which of these ids or content hashes are stored already (for resumable seeding). */
  async existing(ids: readonly string[], hashes: readonly string[]): Promise<{ ids: Set<string>; hashes: Set<string> }> {
    const result = await this.primary.query<{ id: string; hash: string }>(
      'SELECT id, content_hash AS hash FROM images WHERE id = ANY($1::text[]) OR content_hash = ANY($2::text[])',
      [ids, hashes],
    );
    return { ids: new Set(result.rows.map((r) => r.id)), hashes: new Set(result.rows.map((r) => r.hash)) };
  }

  /**
   * Rows (with their vectors) and bytes in one transaction: all of them or
   * none, with the photos whose caption transfer they change marked stale and
   * their duplicate pairs with the photos stored before them. A
   * row whose id or bytes are stored already (another writer was quicker: a
   * seed beside an upload) is skipped; returns the rows inserted.
   */
  async insert(images: readonly NewImage[]): Promise<ImageRecord[]> {
    if (images.length === 0) return [];
    return withTransaction(this.primary, async (client) => {
      const inserted = await client.query<ImageRecord>(
        `INSERT INTO images (id, category, captions, width, height, content_hash, source, features, embedding,
                             projection_version, word_embedding, caption_words, dhash, dhash_mirrored,
                             pixel_hash, reference)
         SELECT id, category, captions::text[], width, height, hash, source, features, embedding, projection_version,
                word_embedding, caption_words::text[], dhash::bit(64), dhash_mirrored::bit(64), pixel_hash, reference
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[],
                     $8::vector[], $9::vector[], $10::text[], $11::vector[], $12::text[], $13::text[], $14::text[],
                     $15::text[], $16::boolean[])
           AS t(id, category, captions, width, height, hash, source, features, embedding, projection_version,
                word_embedding, caption_words, dhash, dhash_mirrored, pixel_hash, reference)
         ON CONFLICT DO NOTHING
         RETURNING ${COLUMNS}`,
        [
          images.map((i) => i.id),
          images.map((i) => i.category),
          // unnest flattens 2-d arrays, so captions travel as array literals (toArrayLiteral).
          images.map((i) => toArrayLiteral(i.captions)),
          images.map((i) => i.width),
          images.map((i) => i.height),
          images.map((i) => i.contentHash),
          images.map((i) => i.origin),
          images.map((i) => vectorParam(i.features)),
          images.map((i) => vectorParam(i.embedding)),
          images.map((i) => i.projectionVersion),
          images.map((i) => i.wordEmbedding && vectorParam(i.wordEmbedding)),
          images.map((i) => toArrayLiteral(i.captionWords)),
          images.map((i) => i.hashes?.hash ?? null),
          images.map((i) => i.hashes?.mirrored ?? null),
          images.map((i) => i.hashes?.pixels ?? null),
          images.map((i) => i.reference),
        ],
      );
      const ids = new Set(inserted.rows.map((row) => row.id));
      await captionsWritten(client, [...ids], true);
      await linkDuplicates(client, [...ids]);
      const files = images.filter((image) => ids.has(image.id));
      await client.query(
        `INSERT INTO image_files (image_id, mime_type, bytes)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])`,
        [files.map((i) => i.id), files.map((i) => i.mimeType), files.map((i) => Buffer.from(i.bytes))],
      );
      return inserted.rows;
    });
  }

  /**
   * Deletes the row, its vectors and (by cascade) its bytes and training-split
   * entry, and records the deletion so that seeding never brings it back; the
   * photos whose caption transfer used it are marked stale first. One
   * transaction: all of it or nothing. False for an unknown id.
   */
  async delete(id: string): Promise<boolean> {
    return withTransaction(this.primary, async (client) => {
      await markNeighboursStale(client, [id], true);
      const result = await client.query(
        `WITH gone AS (DELETE FROM images WHERE id = $1 RETURNING id, content_hash, source)
         INSERT INTO deleted_images (image_id, content_hash, source)
         SELECT id, content_hash, source FROM gone
         ON CONFLICT (image_id) DO UPDATE
           SET content_hash = EXCLUDED.content_hash, source = EXCLUDED.source, deleted_at = now()`,
        [id],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  /** Records images as deleted without deleting anything: a dataset image whose bytes a person deleted under another id. */
  async recordDeleted(images: readonly Pick<ImageRecord, 'id' | 'contentHash' | 'origin'>[]): Promise<void> {
    if (images.length === 0) return;
    await this.primary.query(
      `INSERT INTO deleted_images (image_id, content_hash, source)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (image_id) DO NOTHING`,
      [images.map((i) => i.id), images.map((i) => i.contentHash), images.map((i) => i.origin)],
    );
  }

  /** Which of these ids and content hashes were deleted by a person (deleteImage). */
  async deleted(ids: readonly string[], hashes: readonly string[]): Promise<{ ids: Set<string>; hashes: Set<string> }> {
    const result = await this.primary.query<{ id: string; hash: string }>(
      `SELECT image_id AS id, content_hash AS hash FROM deleted_images
       WHERE image_id = ANY($1::text[]) OR content_hash = ANY($2::text[])`,
      [ids, hashes],
    );
    return { ids: new Set(result.rows.map((r) => r.id)), hashes: new Set(result.rows.map((r) => r.hash)) };
  }

  /** Sets the fields given (undefined: unchanged); null for an unknown id. New captions mark the photos they change stale. */
  async update(id: string, changes: ImageChanges): Promise<ImageRecord | null> {
    return withTransaction(this.primary, async (client) => {
      const captioned = changes.captions !== undefined;
      // Before and after the change: the photos it was a neighbour of, and those it becomes one of.
      if (captioned) await markNeighboursStale(client, [id], true);
      const result = await client.query<ImageRecord>(
        `UPDATE images SET
           category = CASE WHEN $2 THEN $3 ELSE category END,
           captions = CASE WHEN $4 THEN $5::text[] ELSE captions END,
           caption_words = CASE WHEN $4 THEN $6::text[] ELSE caption_words END
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id,
          changes.category !== undefined,
          changes.category ?? null,
          captioned,
          changes.captions ?? [],
          changes.captionWords ?? [],
        ],
      );
      if (captioned && result.rows[0]) {
        await captionsWritten(client, [id], true);
        // Its own captions are among its tag words (migrations/016).
        await fillTagWords(client, [id]);
      }
      return result.rows[0] ?? null;
    });
  }

  /** Stored bytes in id order after `afterId`, for re-embedding with a new recipe. */
  async bytesAfter(afterId: string, limit: number): Promise<{ id: string; bytes: Buffer }[]> {
    const result = await this.primary.query<{ id: string; bytes: Buffer }>(
      'SELECT image_id AS id, bytes FROM image_files WHERE image_id > $1 ORDER BY image_id LIMIT $2',
      [afterId, limit],
    );
    return result.rows;
  }

  /**
   * New image-model output: searched as is until the projection phase fits
   * and applies a projection. The rows' duplicate pairs are found again by
   * the new features (a pair with a photo not re-embedded yet is found again
   * when that one is).
   */
  async updateFeatures(rows: readonly { id: string; features: Float32Array }[]): Promise<void> {
    await withTransaction(this.primary, async (client) => {
      await client.query(
        `UPDATE images SET features = t.features, embedding = t.features, projection_version = NULL
         FROM unnest($1::text[], $2::vector[]) AS t(id, features) WHERE images.id = t.id`,
        [rows.map((row) => row.id), rows.map((row) => vectorParam(row.features))],
      );
      await relinkDuplicates(client, rows.map((row) => row.id));
    });
  }

  /** A page in id order, after the cursor id; one extra row tells whether more follow. */
  async page(first: number, afterId: string | null, category?: string, scope: PhotoScope = 'owned'): Promise<ImageRecord[]> {
    const result = await this.reader.query<ImageRecord>(
      `SELECT ${COLUMNS} FROM images
       WHERE ($1::text IS NULL OR id > $1) AND ($2::text IS NULL OR category = $2) ${andScope(scope)}
       ORDER BY id LIMIT $3`,
      [afterId, category ?? null, first],
    );
    return result.rows;
  }

  /**
   * Frees the dead rows bulk updates leave, moves the live rows at the tail
   * into the freed pages, returns the emptied tail, refreshes the statistics.
   * Questions are answered meanwhile on the embedded store's one connection:
   * no statement may be long (moveTailRowsForward, refreshStatistics).
   */
  async compact(): Promise<TailMove> {
    await this.removeDeadRows();
    const move = await moveTailRowsForward(this.primary);
    await this.refreshStatistics();
    return move;
  }

  /**
   * A plain VACUUM, not VACUUM FULL (a rewrite holds the table for seconds). Its
   * time grows with the dead rows since the last one, mostly in repairing the HNSW
   * graphs: 14,000 (seven refreshes of 1,000 photos' transfers) took 27.7 s at load
   * 15, 2,000 at most 0.8 s; so a long job runs it after each bulk rewrite.
   */
  async removeDeadRows(): Promise<void> {
    await this.primary.query('VACUUM images');
  }

  /**
   * One column a statement, questions let in between: a whole table's ANALYZE
   * took 1.7–3.7 s at 8,090 photos (load 13–15); one column 0.03–0.7 s, the
   * first (reading the table) up to 1.6 s.
   */
  async refreshStatistics(): Promise<void> {
    const columns = await this.primary.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute
       WHERE attrelid = 'images'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    for (const { name } of columns.rows) await this.primary.query(`ANALYZE images (${pg.escapeIdentifier(name)})`);
  }

  async categories(scope: PhotoScope = 'owned'): Promise<string[]> {
    const result = await this.reader.query<{ category: string }>(
      `SELECT DISTINCT category FROM images WHERE category IS NOT NULL ${andScope(scope)} ORDER BY category`,
    );
    return result.rows.map((row) => row.category);
  }

  /**
   * Nearest images to a vector by cosine distance, sorted, at most `first`,
   * within `maxDistance`; the image with `excludeContentHash` (the query's own
   * bytes, if stored) is left out.
   */
  nearest(
    vector: ArrayLike<number>,
    options: NearestOptions & { excludeContentHash?: string },
  ): Promise<ImageMatchRow[]> {
    return this.nearestTo('vector', vectorParam(vector), options.excludeContentHash ?? null, options);
  }

  /**
   * Nearest images to a stored one, itself left out. The stored vector never
   * leaves the database: one round trip. No rows for an unknown id.
   */
  nearestToStored(id: string, options: NearestOptions): Promise<ImageMatchRow[]> {
    return this.nearestTo('stored', id, id, options);
  }

  /**
   * Nearest images to each of several stored ones (Image.similar of a list),
   * in one statement, each without itself; [] for an unknown id.
   */
  async nearestToStoredMany(ids: readonly string[], first: number, efSearch: number, scope: PhotoScope = 'owned'): Promise<ImageMatchRow[][]> {
    const candidates = first + 1;
    const rows = await queryWithHnsw<ImageMatchRow & { ord: number }>(
      this.reader,
      { efSearch: Math.max(efSearch, candidates) },
      NEAREST_TO_STORED_MANY[scope],
      [ids, first, candidates],
    );
    const byParent = ids.map((): ImageMatchRow[] => []);
    for (const { ord, ...match } of rows) byParent[ord - 1]!.push(match);
    return byParent;
  }

  private async nearestTo(
    target: QueryTarget,
    query: string,
    leftOut: string | null,
    options: NearestOptions,
  ): Promise<ImageMatchRow[]> {
    const { after } = options;
    const candidates = options.first + (leftOut ? 1 : 0);
    const params: unknown[] = [query, leftOut, options.maxDistance ?? null, options.first, candidates];
    if (after) params.push(after.distance, after.id);
    const scope = options.scope ?? 'owned';
    const queries = (after ? NEAREST_AFTER : NEAREST)[scope][target];
    const efSearch = Math.max(options.efSearch, candidates);
    // A page after the first: the index scan walks on (strictly in order) past what it skips.
    const walk = after ? ({ iterative: 'strict_order' } as const) : {};
    if (!options.category) {
      return queryWithHnsw<ImageMatchRow>(this.reader, { efSearch, ...walk }, queries.index, params);
    }
    params.push(options.category);
    const size = options.categorySize ?? (await this.count(options.category, scope));
    if (size <= this.exactScanMaxRows) {
      const result = await this.reader.query<ImageMatchRow>({ ...queries.exactInCategory, values: params });
      return result.rows;
    }
    return queryWithHnsw<ImageMatchRow>(
      this.reader,
      { efSearch, iterative: after ? 'strict_order' : 'relaxed_order' },
      queries.indexInCategory,
      params,
    );
  }
}

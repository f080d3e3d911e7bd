// What the image questions mean: input decoding and validation, exclusion of
// the query image, pagination cursors, atomic and idempotent uploads.
import { applyImageProjection, type Embedder } from '../embedding/index.js';
import { badInput, checkFirst, notFound } from '../errors.js';
import { sha256 } from '../lib/hash.js';
import type { ImageFile, ImageMatchRow, ImageRecord, ImageRepository } from '../repositories/imageRepository.js';
import { categorySize, cleanCategory, decodeBase64Image, imageSource, type ImageInput } from './arguments.js';
import type { ImageProjectionCache } from './imageProjectionCache.js';
import { modelCall } from './modelErrors.js';
import type { Warmup } from './warmup.js';

export type { ImageInput } from './arguments.js';
export type { ImageFile, ImageRecord };

const MAX_CAPTIONS = 20;
const MAX_CAPTION_LENGTH = 500;
const UNIQUE_VIOLATION = '23505';

export interface ImageMatch {
  image: ImageRecord;
  distance: number;
}

export interface SimilarImagesArgs {
  id?: string | null;
  image?: ImageInput | null;
  first?: number | null;
  category?: string | null;
  maxDistance?: number | null;
}

export interface ImagePage {
  nodes: ImageRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

export const encodeCursor = (id: string) => Buffer.from(`image:${id}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('image:') || text.length === 'image:'.length) {
    throw badInput(`'after' is not a cursor from this API: pass an endCursor or edge cursor from 'images'`);
  }
  return text.slice('image:'.length);
}

function checkMaxDistance(maxDistance: number | null | undefined): number | undefined {
  if (maxDistance === null || maxDistance === undefined) return undefined;
  if (!Number.isFinite(maxDistance) || maxDistance < 0 || maxDistance > 2) {
    throw badInput(`'maxDistance' is a cosine distance between 0 and 2, got ${maxDistance}`);
  }
  return maxDistance;
}

function cleanCaptions(captions: readonly string[] | null | undefined): string[] {
  const cleaned = (captions ?? []).map((c) => c.trim()).filter((c) => c !== '');
  if (cleaned.length > MAX_CAPTIONS) throw badInput(`'captions': at most ${MAX_CAPTIONS}, got ${cleaned.length}`);
  const long = cleaned.find((c) => c.length > MAX_CAPTION_LENGTH);
  if (long) throw badInput(`'captions': each at most ${MAX_CAPTION_LENGTH} characters, one has ${long.length}`);
  return cleaned;
}

/** What images are stored and searched by: features through the projection named by `projectionVersion` (null: none). */
export interface SearchVector {
  vector: Float32Array;
  projectionVersion: string | null;
}

export class ImageService {
  constructor(
    private readonly images: ImageRepository,
    private readonly embedder: Embedder,
    private readonly projection: ImageProjectionCache,
    private readonly efSearch: number,
    private readonly warmup: Warmup,
  ) {}

  /** While the collection is still being seeded: how much of it an answer covers ("412/1000"). */
  warming(): { images: string } | undefined {
    const note = this.warmup.check('similarImages', true);
    return note ? { images: note } : undefined;
  }

  findByIds(ids: readonly string[]): Promise<(ImageRecord | null)[]> {
    return this.images.findByIds(ids);
  }

  file(id: string): Promise<ImageFile | null> {
    return this.images.file(id);
  }

  categories(): Promise<string[]> {
    return this.images.categories();
  }

  async page(args: { first?: number | null; after?: string | null; category?: string | null }): Promise<ImagePage> {
    const first = checkFirst(args.first, 20);
    const afterId = args.after ? decodeCursor(args.after) : null;
    const category = cleanCategory(args.category);
    // A category's size is counted once: it is both the check and the total.
    const total = category ? await categorySize(this.images, category) : undefined;
    const [rows, totalCount] = await Promise.all([
      this.images.page(first + 1, afterId, category),
      total ?? this.images.count(),
    ]);
    return { nodes: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  async similarImages(args: SimilarImagesArgs): Promise<ImageMatch[]> {
    const first = checkFirst(args.first, 10);
    const maxDistance = checkMaxDistance(args.maxDistance);
    const category = cleanCategory(args.category);
    const source = imageSource(args);
    // Bad arguments are said first; then whether the images are there yet.
    this.warmup.check('similarImages', true);
    const query = 'image' in source ? await this.embedInput(source.image) : undefined;
    const options = {
      first,
      category,
      categorySize: category ? await categorySize(this.images, category) : undefined,
      maxDistance,
      efSearch: this.efSearch,
    };
    let rows: ImageMatchRow[];
    if (query) {
      // The same bytes stored already are the query image itself.
      rows = await this.images.nearest(query.vector, { ...options, excludeContentHash: query.contentHash });
    } else {
      const { id } = source as { id: string };
      rows = await this.images.nearestToStored(id, options);
      // No rows: an unknown id, or nothing else near enough (checked only then).
      if (rows.length === 0 && !(await this.images.findByIds([id]))[0]) throw notFound(`No image with id '${id}'`);
    }
    return rows.map(({ distance, ...image }) => ({ image, distance }));
  }

  /** Features → the vector images are stored and searched by, through the current projection. */
  async searchVector(features: Float32Array): Promise<SearchVector> {
    const projection = await this.projection.current();
    return { vector: applyImageProjection(projection, features), projectionVersion: projection?.version ?? null };
  }

  private async embedInput(input: ImageInput): Promise<{ vector: Float32Array; contentHash: string }> {
    const bytes = decodeBase64Image(input.base64);
    const { features } = await modelCall(this.embedder.embedImage(bytes));
    return { vector: (await this.searchVector(features)).vector, contentHash: sha256(bytes) };
  }

  /** Stores bytes and row together; the same bytes again return the stored image. */
  async addImage(input: ImageInput, category?: string | null, captions?: readonly string[] | null): Promise<ImageRecord> {
    const cleanedCategory = cleanCategory(category) ?? null;
    const cleanedCaptions = cleanCaptions(captions);
    const bytes = decodeBase64Image(input.base64);
    const contentHash = sha256(bytes);
    const stored = await this.images.findByContentHash(contentHash);
    if (stored) return stored;
    // One inspection: the model reports the format and size it decoded.
    const { features, info } = await modelCall(this.embedder.embedImage(bytes));
    const searched = await this.searchVector(features);
    // Before the model exists (first seed), the model phase projects the upload later.
    const wordEmbedding = this.embedder.hasWordModel() ? await modelCall(this.embedder.projectToWords(features)) : null;
    const id = `upload-${contentHash.slice(0, 20)}`;
    try {
      const [added] = await this.images.insert([
        {
          id,
          category: cleanedCategory,
          captions: cleanedCaptions,
          width: info.width,
          height: info.height,
          contentHash,
          source: 'upload',
          features,
          embedding: searched.vector,
          projectionVersion: searched.projectionVersion,
          wordEmbedding,
          mimeType: info.mimeType,
          bytes,
        },
      ]);
      return added!;
    } catch (err) {
      // A concurrent upload of the same bytes won the race: theirs is ours.
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      return (await this.images.findByContentHash(contentHash))!;
    }
  }
}

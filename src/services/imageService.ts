// What the image questions mean: input decoding and validation, exclusion of
// the query image, pagination cursors, atomic and idempotent uploads.
import { ImageDecodeError, inspectImage, type ImageInfo } from '../embedding/preprocess.js';
import type { Embedder } from '../embedding/index.js';
import { badInput, checkFirst, notFound } from '../errors.js';
import { sha256 } from '../lib/hash.js';
import type { ImageFile, ImageMatchRow, ImageRecord, ImageRepository } from '../repositories/imageRepository.js';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_CAPTIONS = 20;
const MAX_CAPTION_LENGTH = 500;
const MAX_CATEGORY_LENGTH = 100;
const UNIQUE_VIOLATION = '23505';

export interface ImageMatch {
  image: ImageRecord;
  distance: number;
}

export interface ImageInput {
  base64: string;
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

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Image bytes from base64, with or without a `data:<type>;base64,` prefix. */
export function decodeBase64Image(base64: string, argument = 'image.base64'): Buffer {
  const body = base64.trim().replace(/^data:[^,]*;base64,/i, '').replace(/\s+/g, '');
  if (body === '') throw badInput(`'${argument}' is empty: send the image bytes base64-encoded`);
  if (!BASE64.test(body)) {
    throw badInput(`'${argument}' is not valid base64 (allowed: A-Z a-z 0-9 + / and = padding, optional data: URL prefix)`);
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw badInput(`'${argument}' is ${bytes.length} bytes; images up to ${MAX_IMAGE_BYTES} bytes are accepted`);
  }
  return bytes;
}

function toBadInput(err: unknown, argument: string): unknown {
  return err instanceof ImageDecodeError ? badInput(`'${argument}' is ${err.message}`) : err;
}

function checkMaxDistance(maxDistance: number | null | undefined): number | undefined {
  if (maxDistance === null || maxDistance === undefined) return undefined;
  if (!Number.isFinite(maxDistance) || maxDistance < 0 || maxDistance > 2) {
    throw badInput(`'maxDistance' is a cosine distance between 0 and 2, got ${maxDistance}`);
  }
  return maxDistance;
}

function cleanCategory(category: string | null | undefined): string | undefined {
  const trimmed = category?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > MAX_CATEGORY_LENGTH) {
    throw badInput(`'category' is too long: at most ${MAX_CATEGORY_LENGTH} characters`);
  }
  return trimmed;
}

function cleanCaptions(captions: readonly string[] | null | undefined): string[] {
  const cleaned = (captions ?? []).map((c) => c.trim()).filter((c) => c !== '');
  if (cleaned.length > MAX_CAPTIONS) throw badInput(`'captions': at most ${MAX_CAPTIONS}, got ${cleaned.length}`);
  const long = cleaned.find((c) => c.length > MAX_CAPTION_LENGTH);
  if (long) throw badInput(`'captions': each at most ${MAX_CAPTION_LENGTH} characters, one has ${long.length}`);
  return cleaned;
}

export class ImageService {
  constructor(
    private readonly images: ImageRepository,
    private readonly embedder: Embedder,
    private readonly efSearch: number,
  ) {}

  findByIds(ids: readonly string[]): Promise<(ImageRecord | null)[]> {
    return this.images.findByIds(ids);
  }

  file(id: string): Promise<ImageFile | null> {
    return this.images.file(id);
  }

  categories(): Promise<string[]> {
    return this.images.categories();
  }

  /** An unknown category is a typo more often than an empty answer: say which exist. */
  private async checkCategoryExists(category: string): Promise<void> {
    if ((await this.images.count(category)) > 0) return;
    const known = await this.images.categories();
    throw badInput(`No images in category '${category}'. Categories: ${known.join(', ') || '(none yet)'}`, {
      categories: known,
    });
  }

  async page(args: { first?: number | null; after?: string | null; category?: string | null }): Promise<ImagePage> {
    const first = checkFirst(args.first, 20);
    const afterId = args.after ? decodeCursor(args.after) : null;
    const category = cleanCategory(args.category);
    if (category) await this.checkCategoryExists(category);
    const [rows, totalCount] = await Promise.all([
      this.images.page(first + 1, afterId, category),
      this.images.count(category),
    ]);
    return { nodes: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  async similarImages(args: SimilarImagesArgs): Promise<ImageMatch[]> {
    const first = checkFirst(args.first, 10);
    const maxDistance = checkMaxDistance(args.maxDistance);
    const category = cleanCategory(args.category);
    const byId = args.id !== null && args.id !== undefined;
    const byImage = args.image !== null && args.image !== undefined;
    if (byId === byImage) {
      throw badInput(`Give exactly one of 'id' (a stored image) or 'image' (new image bytes), not ${byId ? 'both' : 'neither'}`);
    }
    const vector = byImage ? await this.embedInput(args.image!) : undefined;
    if (category) await this.checkCategoryExists(category);
    const options = { first, category, maxDistance, efSearch: this.efSearch };
    let rows: ImageMatchRow[];
    if (vector) {
      // The same bytes stored already are the query image itself.
      const excludeId = (await this.images.findByContentHash(vector.contentHash))?.id;
      rows = await this.images.nearest(vector.embedding, { ...options, excludeId });
    } else {
      rows = await this.images.nearestToStored(args.id!, options);
      // No rows: an unknown id, or nothing else near enough (checked only then).
      if (rows.length === 0 && !(await this.images.findByIds([args.id!]))[0]) {
        throw notFound(`No image with id '${args.id}'`);
      }
    }
    return rows.map(({ distance, ...image }) => ({ image, distance }));
  }

  private async embedInput(input: ImageInput): Promise<{ embedding: Float32Array; contentHash: string }> {
    const bytes = decodeBase64Image(input.base64);
    const features = await this.embedder.embedImage(bytes).catch((err) => {
      throw toBadInput(err, 'image.base64');
    });
    return { embedding: (await this.embedder.searchVector(features)).vector, contentHash: sha256(bytes) };
  }

  /** Stores bytes and row together; the same bytes again return the stored image. */
  async addImage(input: ImageInput, category?: string | null, captions?: readonly string[] | null): Promise<ImageRecord> {
    const cleanedCategory = cleanCategory(category) ?? null;
    const cleanedCaptions = cleanCaptions(captions);
    const bytes = decodeBase64Image(input.base64);
    const contentHash = sha256(bytes);
    const stored = await this.images.findByContentHash(contentHash);
    if (stored) return stored;
    let info: ImageInfo;
    let features: Float32Array;
    try {
      info = await inspectImage(bytes);
      features = await this.embedder.embedImage(bytes);
    } catch (err) {
      throw toBadInput(err, 'image.base64');
    }
    const searched = await this.embedder.searchVector(features);
    // Before the model exists (first seed), the model phase projects the upload later.
    const wordEmbedding = this.embedder.hasWordModel() ? await this.embedder.projectToWords(features) : null;
    const id = `upload-${contentHash.slice(0, 20)}`;
    try {
      await this.images.insert([
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
    } catch (err) {
      // A concurrent upload of the same bytes won the race: theirs is ours.
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    }
    return (await this.images.findByContentHash(contentHash))!;
  }
}

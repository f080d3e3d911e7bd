// What the image questions mean: input decoding and validation, exclusion of
// the query image, pagination cursors, atomic and idempotent uploads.
import { applyImageProjection, captionWordList, type Embedder } from '../embedding/index.js';
import { badInput, noImage } from '../errors.js';
import { sha256 } from '../lib/hash.js';
import { imageRecordOf } from '../repositories/imageColumns.js';
import type {
  ImageChanges,
  ImageMatchRow,
  ImageRecord,
  ImageRepository,
  PhotoScope,
} from '../repositories/imageRepository.js';
import {
  categorySize,
  checkFirst,
  checkMaxDistance,
  cleanCaptions,
  cleanCategory,
  decodeBase64Image,
  queriedImage,
  type ImageInput,
} from './arguments.js';
import type { TransferService } from './transferService.js';
import type { ImageProjectionCache } from './imageProjectionCache.js';
import { decodeMatchCursor, encodeMatchCursor } from './matchCursors.js';
import { imageMatchScores, type MatchScores } from './matchScores.js';
import { checkCut, CUT_RATIO, keptBeforeDrop, type CutMode } from './relevanceCut.js';
import { checkUploadFields, ImageWriter, type AddOptions, type NewUpload, type UploadOutcome } from './imageWriter.js';
import { admitImage, modelCall, type ModelRefusals } from './modelErrors.js';
import type { Warmup } from './warmup.js';

export type { ImageInput } from './arguments.js';
export type { ImageRecord };

export interface ImageMatch {
  image: ImageRecord;
  distance: number;
  /** imagesForText: the caption that best matches the text's words, or null. */
  matchedCaption?: string | null;
  /** Its place in the list, for the next page's `after`. */
  cursor: string;
  scores: MatchScores;
  /** imagesForText: the vote keys of the text's known words, whose voters ImageMatch.evidence shows (none elsewhere). */
  voteKeys?: readonly string[];
}

export interface SimilarImagesArgs {
  id?: string | null;
  image?: ImageInput | null;
  first?: number | null;
  category?: string | null;
  maxDistance?: number | null;
  after?: string | null;
  cut?: CutMode | null;
  /** Weighs a text (steeredSimilarity.ts): refused here, where there is none. */
  textWeight?: number | null;
  includeReference?: boolean | null;
}

/** updateImage's arguments: a field left out (undefined) stays as it is; null clears it. */
export interface ImageUpdate {
  category?: string | null;
  captions?: readonly string[] | null;
}

export interface ImagePage {
  nodes: ImageRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Which photos a question returns: reference photos only when it asks for them. */
export const photoScope = (includeReference?: boolean | null): PhotoScope => (includeReference ? 'withReference' : 'owned');

export const encodeCursor = (id: string) => Buffer.from(`image:${id}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('image:') || text.length === 'image:'.length) {
    throw badInput(`'after' is not a cursor from this API: pass an endCursor or edge cursor from 'images'`);
  }
  return text.slice('image:'.length);
}

/** What images are stored and searched by: features through the projection named by `projectionVersion` (null: none). */
export interface SearchVector {
  vector: Float32Array;
  projectionVersion: string | null;
}

/**
 * A nearest-image row as a match. Its cursor and score set are built when a
 * query asks for them (most never do): ten cursors' JSON and base64 were a
 * measurable part of a search's CPU. The getters sit on the prototype, so a
 * match is one object of one shape, without two getter closures of its own.
 */
class DistanceMatch implements ImageMatch {
  /** Set by a caller that found the caption (a similarImages steered by a text). */
  matchedCaption?: string | null;

  constructor(
    readonly image: ImageRecord,
    readonly distance: number,
    private readonly keptByCut: boolean,
  ) {}

  get cursor(): string {
    return encodeMatchCursor({ kind: 'image', distance: this.distance, key: this.image.id });
  }

  get scores(): MatchScores {
    return imageMatchScores(this.distance, this.keptByCut);
  }
}

/** Nearest-image rows as matches, ended at the first large drop for cut: AUTO. */
function distanceMatches(rows: readonly ImageMatchRow[], cut: CutMode): ImageMatch[] {
  const kept = keptBeforeDrop(rows.map((row) => 1 - row.distance), CUT_RATIO.IMAGES);
  const count = cut === 'AUTO' ? kept : rows.length;
  const matches: ImageMatch[] = [];
  for (let i = 0; i < count; i++) matches.push(new DistanceMatch(imageRecordOf(rows[i]!), rows[i]!.distance, i < kept));
  return matches;
}

export class ImageService {
  private readonly writer: ImageWriter;

  constructor(
    private readonly images: ImageRepository,
    private readonly embedder: Embedder,
    private readonly projection: ImageProjectionCache,
    private readonly efSearch: number,
    private readonly warmup: Warmup,
    private readonly transfer: TransferService,
    /** Where OVERLOADED refusals are counted (the server's metrics; tools count none). */
    private readonly refusals?: ModelRefusals,
  ) {
    this.writer = new ImageWriter(images, embedder, projection, transfer);
  }

  /** While the collection is still being seeded: how much of it an answer covers ("412/1000"). */
  warming(): { images: string } | undefined {
    const note = this.warmup.check('similarImages', true);
    return note ? { images: note } : undefined;
  }

  findByIds(ids: readonly string[]): Promise<(ImageRecord | null)[]> {
    return this.images.findByIds(ids);
  }

  categories(includeReference?: boolean | null): Promise<string[]> {
    return this.images.categories(photoScope(includeReference));
  }

  async page(args: {
    first?: number | null;
    after?: string | null;
    category?: string | null;
    includeReference?: boolean | null;
  }): Promise<ImagePage> {
    const first = checkFirst(args.first, 20);
    const afterId = args.after ? decodeCursor(args.after) : null;
    const category = cleanCategory(args.category);
    const scope = photoScope(args.includeReference);
    // A category's size is counted once: it is both the check and the total.
    const total = category ? await categorySize(this.images, category, scope) : undefined;
    const [rows, totalCount] = await Promise.all([
      this.images.page(first + 1, afterId, category, scope),
      total ?? this.images.count(undefined, scope),
    ]);
    return { nodes: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  async similarImages(args: SimilarImagesArgs): Promise<ImageMatch[]> {
    const first = checkFirst(args.first, 10);
    const maxDistance = checkMaxDistance(args.maxDistance);
    const category = cleanCategory(args.category);
    const queried = queriedImage(args);
    const cut = checkCut(args.cut);
    const after = args.after ? decodeMatchCursor(args.after, 'image', 'similarImages') : undefined;
    if (args.textWeight !== undefined && args.textWeight !== null) {
      throw badInput(`'textWeight' weighs 'text' against the photo: give a 'text' too, or leave 'textWeight' out`);
    }
    // Bad arguments are said first; then whether the images are there yet.
    this.warmup.check('similarImages', true);
    const query = 'image' in queried ? await this.embedInput(queried.image) : undefined;
    const scope = photoScope(args.includeReference);
    const options = {
      first,
      scope,
      category,
      categorySize: category ? await categorySize(this.images, category, scope) : undefined,
      maxDistance,
      efSearch: this.efSearch,
      after: after && { distance: after.distance, id: after.key },
    };
    let rows: ImageMatchRow[];
    if (query) {
      // The same bytes stored already are the query image itself.
      rows = await this.images.nearest(query.vector, { ...options, excludeContentHash: query.contentHash });
    } else {
      const { id } = queried as { id: string };
      rows = await this.images.nearestToStored(id, options);
      // No rows: an unknown id, or nothing else near enough (checked only then).
      if (rows.length === 0 && !(await this.images.findByIds([id]))[0]) throw noImage(id);
    }
    return distanceMatches(rows, cut);
  }

  /**
   * Image.similar of several stored images (through a DataLoader): one
   * statement for all of them; NOT_FOUND (as an Error in its place) for an
   * image deleted meanwhile.
   */
  async similarToEach(ids: readonly string[], first?: number | null, includeReference?: boolean | null): Promise<(ImageMatch[] | Error)[]> {
    const limit = checkFirst(first, 10);
    this.warmup.check('similarImages', true);
    const rows = await this.images.nearestToStoredMany(ids, limit, this.efSearch, photoScope(includeReference));
    const empty = ids.filter((_, i) => rows[i]!.length === 0);
    const stored = new Set(empty.length > 0 ? (await this.images.findByIds(empty)).flatMap((image) => (image ? [image.id] : [])) : []);
    return ids.map((id, i) =>
      rows[i]!.length === 0 && !stored.has(id) ? noImage(id) : distanceMatches(rows[i]!, 'NONE'),
    );
  }

  /** Features → the vector images are stored and searched by, through the current projection. */
  async searchVector(features: Float32Array): Promise<SearchVector> {
    const projection = await this.projection.current();
    return { vector: applyImageProjection(projection, features), projectionVersion: projection?.version ?? null };
  }

  /**
   * Throws OVERLOADED now when new image bytes would be refused: the HTTP
   * layer asks before it reads a large body, the services before decoding.
   */
  admitImage(): void {
    admitImage(this.embedder, this.refusals);
  }

  private async embedInput(input: ImageInput): Promise<{ vector: Float32Array; contentHash: string }> {
    admitImage(this.embedder, this.refusals);
    const bytes = decodeBase64Image(input.base64);
    const { features } = await modelCall(this.embedder.embedImage(bytes), this.refusals);
    return { vector: (await this.searchVector(features)).vector, contentHash: sha256(bytes) };
  }

  /** Stores bytes and row together; the same bytes again return the stored image. */
  async addImage(input: ImageInput, category?: string | null, captions?: readonly string[] | null): Promise<ImageRecord> {
    // The fields first: a wrong caption is reported without decoding anything.
    const fields = checkUploadFields({ category, captions });
    admitImage(this.embedder, this.refusals);
    // Decoding checks the size: the bytes are then ready to store.
    const bytes = decodeBase64Image(input.base64);
    const upload = this.writer.addChecked([{ bytes, ...fields }], { origin: 'upload', bounded: true });
    const [outcome] = await modelCall(upload, this.refusals);
    if (outcome!.status !== 'refused') return outcome!.image;
    // Its fields were checked above: only the bytes can be refused now.
    throw badInput(`'image.base64' is ${outcome!.reason}`);
  }

  /**
   * Many images at once (`npm run import`): embedded together on the worker
   * pool, one outcome each. Nothing is thrown for an unreadable image.
   */
  addImages(uploads: readonly NewUpload[], options: AddOptions = { origin: 'import', bounded: false }): Promise<UploadOutcome[]> {
    return modelCall(this.writer.addMany(uploads, options), this.refusals);
  }

  /** Changes only the fields given, checked as addImage checks them. */
  async updateImage(id: string, update: ImageUpdate): Promise<ImageRecord> {
    const changes: ImageChanges = {};
    if (update.category !== undefined) changes.category = cleanCategory(update.category) ?? null;
    if (update.captions !== undefined) {
      changes.captions = cleanCaptions(update.captions);
      changes.captionWords = captionWordList(changes.captions);
    }
    const updated = await this.images.update(id, changes);
    if (!updated) throw noImage(id);
    // New captions teach the photos near it from the next query on.
    if (changes.captions) await this.transfer.refresh();
    return updated;
  }

  /** Removes the image for good: a later seed does not bring a deleted dataset image back. */
  async deleteImage(id: string): Promise<boolean> {
    if (!(await this.images.delete(id))) throw noImage(id);
    // The photos that used its captions stop using them before the answer.
    await this.transfer.refresh();
    return true;
  }
}

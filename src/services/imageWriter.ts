// Storing photos: the one way a photo becomes a row. addImage (one upload)
// and `npm run import` (batches of files) validate, deduplicate, embed and
// store through `addMany`; the seed embeds its dataset photos itself (ahead of
// a busy store) and stores them through `store`. A batch embeds its images
// together on the worker pool; each image succeeds or is refused on its own,
// with a reason a person can act on.
import {
  applyImageProjection,
  captionWordList,
  ImageDecodeError,
  perceptualHashes,
  type EmbeddedImage,
  type Embedder,
} from '../embedding/index.js';
import { ClientError } from '../errors.js';
import { sha256 } from '../lib/hash.js';
import type { ImageRecord, ImageRepository, NewImage } from '../repositories/imageRepository.js';
import { cleanCaptions, cleanCategory, MAX_IMAGE_BYTES, tooLarge } from './arguments.js';
import type { TransferService } from './transferService.js';
import type { ImageProjectionCache } from './imageProjectionCache.js';

export interface NewUpload {
  bytes: Uint8Array;
  category?: string | null;
  captions?: readonly string[] | null;
}

/** An upload's fields as they are stored: through `checkUploadFields`. */
export interface UploadFields {
  category: string | null;
  captions: string[];
}

/** Bytes within MAX_IMAGE_BYTES and fields through `checkUploadFields`: ready to embed and store. */
export interface CheckedUpload extends UploadFields {
  bytes: Uint8Array;
}

export type UploadOutcome =
  | { status: 'added' | 'present'; image: ImageRecord }
  /** `field` 'image': the bytes are the problem (reason reads "… is <reason>"); else a named argument is. */
  | { status: 'refused'; field: 'image' | 'input'; reason: string };

export interface AddOptions {
  /** Stored in the row: 'upload' (addImage) or 'import'. */
  origin: string;
  /** Store them as reference photos (migrations/014): each needs captions, or is refused. */
  reference?: boolean;
  /**
   * A client's single upload is refused with OVERLOADED when the embedding
   * queue is full; a batch the caller already paces waits its turn.
   */
  bounded: boolean;
}

/** A checked photo with its image model output, to be stored under `id`. */
export interface EmbeddedPhoto extends CheckedUpload {
  id: string;
  contentHash: string;
  embedded: EmbeddedImage;
}

/** Checked and hashed, waiting for its vectors. */
interface Candidate extends CheckedUpload {
  index: number;
  contentHash: string;
  embedded?: EmbeddedImage;
}

type Refusal = Extract<UploadOutcome, { status: 'refused' }>;
const refusedImage = (reason: string): Refusal => ({ status: 'refused', field: 'image', reason });

/** The rules of an upload's fields: the category and captions as stored, or a ClientError saying what is wrong. */
export function checkUploadFields(upload: Pick<NewUpload, 'category' | 'captions'>): UploadFields {
  return { category: cleanCategory(upload.category) ?? null, captions: cleanCaptions(upload.captions) };
}

/** An upload through the rules of its size and fields, or why it is refused. */
function checkUpload(upload: NewUpload): CheckedUpload | Refusal {
  if (upload.bytes.length > MAX_IMAGE_BYTES) return refusedImage(tooLarge(upload.bytes.length));
  try {
    return { bytes: upload.bytes, ...checkUploadFields(upload) };
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    return { status: 'refused', field: 'input', reason: err.message };
  }
}

/** A reference photo teaches with its captions: one without a caption word is refused, with the reason. */
const teachesNothing = (upload: CheckedUpload) => !upload.captions.some((caption) => captionWordList([caption]).length > 0);
const NO_CAPTIONS = 'a reference photo needs captions (it teaches with them): none were found for it, so it is not stored';

/** Uploads get an id from their content, so the same bytes always have the same id. */
export const uploadId = (contentHash: string) => `upload-${contentHash.slice(0, 20)}`;

export class ImageWriter {
  constructor(
    private readonly images: ImageRepository,
    private readonly embedder: Embedder,
    private readonly projection: ImageProjectionCache,
    private readonly transfer: TransferService,
  ) {}

  /** One outcome per upload, in order, each checked here first. Bytes stored already are 'present' and not embedded again. */
  addMany(uploads: readonly NewUpload[], options: AddOptions): Promise<UploadOutcome[]> {
    return this.write(uploads.map(checkUpload), options);
  }

  /** As addMany, for uploads their caller has checked already (addImage checks the fields before decoding the bytes). */
  addChecked(uploads: readonly CheckedUpload[], options: AddOptions): Promise<UploadOutcome[]> {
    return this.write(uploads, options);
  }

  private async write(uploads: readonly (CheckedUpload | Refusal)[], options: AddOptions): Promise<UploadOutcome[]> {
    const outcomes = uploads.map((upload): UploadOutcome | undefined => ('status' in upload ? upload : undefined));
    const candidates: Candidate[] = [];
    uploads.forEach((upload, index) => {
      if (!('status' in upload)) candidates.push({ ...upload, index, contentHash: sha256(upload.bytes) });
    });
    const stored = await this.images.findByContentHashes(candidates.map((c) => c.contentHash));
    const fresh: Candidate[] = [];
    const firstOfHash = new Map<string, Candidate>();
    for (const candidate of candidates) {
      if (stored.has(candidate.contentHash)) {
        outcomes[candidate.index] = { status: 'present', image: stored.get(candidate.contentHash)! };
      } else if (options.reference && teachesNothing(candidate)) {
        // Stored already is 'present' whatever its captions now; a new one must teach.
        outcomes[candidate.index] = { status: 'refused', field: 'input', reason: NO_CAPTIONS };
      } else if (firstOfHash.has(candidate.contentHash)) {
        // The same bytes twice in one batch: the second is present once the first is stored.
        continue;
      } else {
        firstOfHash.set(candidate.contentHash, candidate);
        fresh.push(candidate);
      }
    }
    const embedded = await this.embedAll(fresh, outcomes, options.bounded);
    const inserted = await this.store(
      embedded.map((candidate) => ({ ...candidate, id: uploadId(candidate.contentHash) })),
      options.origin,
      options.reference ?? false,
    );
    // The new photos' transfers, and their neighbours' when they have captions: before the answer.
    if (inserted.length > 0) await this.transfer.refresh();
    const added = new Map(inserted.map((image) => [image.contentHash, image]));
    // Not inserted although readable: another writer stored the same bytes meanwhile.
    const raced = embedded.filter((c) => !added.has(c.contentHash)).map((c) => c.contentHash);
    const storedMeanwhile = raced.length > 0 ? await this.images.findByContentHashes(raced) : new Map<string, ImageRecord>();
    for (const candidate of candidates) {
      if (outcomes[candidate.index]) continue;
      const first = firstOfHash.get(candidate.contentHash)!;
      const image = added.get(candidate.contentHash);
      if (image) outcomes[candidate.index] = { status: first === candidate ? 'added' : 'present', image };
      else if (storedMeanwhile.has(candidate.contentHash)) {
        outcomes[candidate.index] = { status: 'present', image: storedMeanwhile.get(candidate.contentHash)! };
      } else {
        // Its first copy in the batch was refused: so is this one.
        outcomes[candidate.index] = outcomes[first.index] ?? refusedImage('not stored: retry');
      }
    }
    return outcomes as UploadOutcome[];
  }

  /** Features, format and size of each candidate; unreadable ones are refused and left out. */
  private async embedAll(
    candidates: Candidate[],
    outcomes: (UploadOutcome | undefined)[],
    bounded: boolean,
  ): Promise<Required<Candidate>[]> {
    // Each image is its own request to the pool, which still hands the model
    // several at once: one unreadable file then fails alone, not its batch.
    const embed = bounded
      ? (bytes: Uint8Array) => this.embedder.embedImage(bytes)
      : async (bytes: Uint8Array) => (await this.embedder.embedImages([bytes]))[0]!;
    const done = await Promise.all(
      candidates.map(async (candidate) => {
        try {
          candidate.embedded = await embed(candidate.bytes);
          return candidate as Required<Candidate>;
        } catch (err) {
          if (!(err instanceof ImageDecodeError)) throw err;
          outcomes[candidate.index] = refusedImage(err.message);
          return null;
        }
      }),
    );
    return done.filter((candidate) => candidate !== null);
  }

  /**
   * Rows and bytes of embedded photos, with the searched vector through the
   * current projection and the word-space vector when the model exists (else
   * the seed's later phases fill them in). Returns the rows inserted: an id or
   * bytes another writer stored meanwhile are skipped (theirs are ours). The
   * caller refreshes the caption transfers: an upload before it answers, the
   * seed once, in its transfer phase.
   */
  async store(photos: readonly EmbeddedPhoto[], origin: string, reference = false): Promise<ImageRecord[]> {
    if (photos.length === 0) return [];
    const features = photos.map((photo) => photo.embedded.features);
    const wordEmbeddings = this.embedder.hasWordModel() ? await this.embedder.projectManyToWords(features) : null;
    // Decoded again, to a 9×8 thumbnail (sharp's threads, milliseconds each): the model's workers return features only.
    const hashes = await Promise.all(photos.map((photo) => perceptualHashes(photo.bytes)));
    // One projection for the batch: the searched vectors all come from the same fit.
    const projection = await this.projection.current();
    const rows = photos.map(({ embedded: { features, info }, ...photo }, i): NewImage => ({
      id: photo.id,
      category: photo.category,
      captions: photo.captions,
      captionWords: captionWordList(photo.captions),
      width: info.width,
      height: info.height,
      contentHash: photo.contentHash,
      origin,
      reference,
      features,
      embedding: applyImageProjection(projection, features),
      projectionVersion: projection?.version ?? null,
      wordEmbedding: wordEmbeddings?.[i] ?? null,
      hashes: hashes[i]!,
      mimeType: info.mimeType,
      bytes: photo.bytes,
    }));
    return this.images.insert(rows);
  }
}

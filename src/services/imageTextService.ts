// What the image ↔ text questions mean: tags for an image (stored or new
// bytes), images for a text, validation, unknown words, lemma de-duplication.
import { ImageDecodeError } from '../embedding/preprocess.js';
import type { Embedder } from '../embedding/index.js';
import { candidatesFor, distinctLemmas } from '../embedding/tagVocabulary.js';
import { ModelNotTrainedError } from '../embedding/wordProjection.js';
import { badInput, checkFirst, clientError, notFound } from '../errors.js';
import type { ImageRecord, ImageRepository } from '../repositories/imageRepository.js';
import type { ImageTextRepository, TagRow } from '../repositories/imageTextRepository.js';
import { decodeBase64Image, type ImageInput, type ImageMatch } from './imageService.js';
import { checkText, noKnownWords } from './wordService.js';

export type TagMatch = TagRow;

export interface TagsForImageArgs {
  id?: string | null;
  image?: ImageInput | null;
  first?: number | null;
}

export interface ImagesForText {
  matches: ImageMatch[];
  /** Words of the text without a word vector: ignored, and reported to the client. */
  unknownWords: string[];
}

export interface ImageTextSettings {
  wordEfSearch: number;
  imageEfSearch: number;
}

function notReady(err: unknown): unknown {
  if (err instanceof ModelNotTrainedError) return clientError('SERVICE_UNAVAILABLE', `Try again later: ${err.message}`);
  if (err instanceof ImageDecodeError) return badInput(`'image.base64' is ${err.message}`);
  return err;
}

export class ImageTextService {
  constructor(
    private readonly imageText: ImageTextRepository,
    private readonly images: ImageRepository,
    private readonly embedder: Embedder,
    private readonly settings: ImageTextSettings,
  ) {}

  async tagsForImage(args: TagsForImageArgs): Promise<TagMatch[]> {
    const first = checkFirst(args.first, 5);
    const byId = args.id !== null && args.id !== undefined;
    const byImage = args.image !== null && args.image !== undefined;
    if (byId === byImage) {
      throw badInput(`Give exactly one of 'id' (a stored image) or 'image' (new image bytes), not ${byId ? 'both' : 'neither'}`);
    }
    const vector = byId ? await this.storedVector(args.id!) : await this.newImageVector(args.image!);
    return this.tagsFor(vector, first);
  }

  private async storedVector(id: string): Promise<Float32Array> {
    const vector = (await this.imageText.wordEmbeddings([id]))[0];
    if (vector) return vector;
    if ((await this.images.findByIds([id]))[0]) {
      throw clientError('SERVICE_UNAVAILABLE', `Image '${id}' has no word-space vector yet: the model phase of seeding is still running`);
    }
    throw notFound(`No image with id '${id}'`);
  }

  private async newImageVector(image: ImageInput): Promise<Float32Array> {
    const bytes = decodeBase64Image(image.base64);
    try {
      return await this.embedder.projectToWords(await this.embedder.embedImage(bytes));
    } catch (err) {
      throw notReady(err);
    }
  }

  private async tagsFor(vector: Float32Array, first: number): Promise<TagMatch[]> {
    const candidates = await this.imageText.nearestTags(vector, candidatesFor(first), this.settings.wordEfSearch);
    return distinctLemmas(candidates, first);
  }

  /** `first` for tags: 5 when not given, refused outside the allowed range. */
  checkTagsFirst(first: number | null | undefined): number {
    return checkFirst(first, 5);
  }

  /** Tags of several stored images in one query (Image.tags through a DataLoader); [] where not projected yet. */
  async tagsForImages(ids: readonly string[], first: number): Promise<TagMatch[][]> {
    const rows = await this.imageText.nearestTagsForImages(ids, candidatesFor(first), this.settings.wordEfSearch);
    const byImage = new Map<string, TagMatch[]>();
    for (const { imageId, text, distance } of rows) {
      const list = byImage.get(imageId) ?? [];
      list.push({ text, distance });
      byImage.set(imageId, list);
    }
    return ids.map((id) => distinctLemmas(byImage.get(id) ?? [], first));
  }

  async imagesForText(text: string, first?: number | null, category?: string | null): Promise<ImagesForText> {
    const limit = checkFirst(first, 10);
    const embedding = await this.embedder.embedText(checkText(text, 'text'), { contentWordsOnly: true });
    if (!embedding.vector) throw noKnownWords(embedding.unknown);
    const wanted = category?.trim() || undefined;
    if (wanted) await this.checkCategoryExists(wanted);
    const rows = await this.imageText.nearestImages(embedding.vector, {
      first: limit,
      category: wanted,
      efSearch: this.settings.imageEfSearch,
    });
    const records = await this.images.findByIds(rows.map((row) => row.id));
    const matches = rows.flatMap((row, i) => {
      const image = records[i];
      return image ? [{ image, distance: row.distance }] : [];
    });
    return { matches, unknownWords: embedding.unknown };
  }

  private async checkCategoryExists(category: string): Promise<void> {
    if ((await this.images.count(category)) > 0) return;
    const known = await this.images.categories();
    throw badInput(`No images in category '${category}'. Categories: ${known.join(', ') || '(none yet)'}`, {
      categories: known,
    });
  }
}

export type { ImageRecord };

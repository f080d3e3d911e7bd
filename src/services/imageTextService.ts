// What the image ↔ text questions mean: tags for an image (stored or new
// bytes), images for a text, validation, unknown words, lemma de-duplication.
import {
  candidatesFor,
  distinctLemmas,
  dropStopWords,
  embedText,
  tokenize,
  type Embedder,
} from '../embedding/index.js';
import { checkFirst, clientError, notFound } from '../errors.js';
import { groupBy } from '../lib/groupBy.js';
import type { ImageRepository } from '../repositories/imageRepository.js';
import type { ImageTextRepository, TagRow } from '../repositories/imageTextRepository.js';
import type { WordRepository } from '../repositories/wordRepository.js';
import {
  categorySize,
  checkText,
  cleanCategory,
  decodeBase64Image,
  imageSource,
  noKnownWords,
  type ImageInput,
} from './arguments.js';
import type { ImageMatch } from './imageService.js';
import { modelCall } from './modelErrors.js';
import type { Warmup } from './warmup.js';

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

export class ImageTextService {
  constructor(
    private readonly imageText: ImageTextRepository,
    private readonly images: ImageRepository,
    private readonly words: WordRepository,
    private readonly embedder: Embedder,
    private readonly settings: ImageTextSettings,
    private readonly warmup: Warmup,
  ) {}

  async tagsForImage(args: TagsForImageArgs): Promise<TagMatch[]> {
    const first = checkFirst(args.first, 5);
    const source = imageSource(args);
    this.warmup.check('tagsForImage');
    if ('id' in source) return this.storedImageTags(source.id, first);
    const vector = await this.newImageVector(source.image);
    const candidates = await this.imageText.nearestTags(vector, candidatesFor(first), this.settings.wordEfSearch);
    return distinctLemmas(candidates, first);
  }

  /** The query Image.tags uses: the stored vector is read inside it (one round trip); no tags are explained only then. */
  private async storedImageTags(id: string, first: number): Promise<TagMatch[]> {
    const [tags] = await this.tagsForImages([id], first);
    if (tags!.length > 0 || (await this.imageText.wordEmbeddings([id]))[0]) return tags!;
    if ((await this.images.findByIds([id]))[0]) {
      throw clientError('SERVICE_UNAVAILABLE', `Image '${id}' has no word-space vector yet: the model phase of seeding is still running`);
    }
    throw notFound(`No image with id '${id}'`);
  }

  private async newImageVector(image: ImageInput): Promise<Float32Array> {
    const bytes = decodeBase64Image(image.base64);
    const { features } = await modelCall(this.embedder.embedImage(bytes));
    return modelCall(this.embedder.projectToWords(features));
  }

  /** `first` for tags: 5 when not given, refused outside the allowed range. */
  checkTagsFirst(first: number | null | undefined): number {
    return checkFirst(first, 5);
  }

  /** Tags of several stored images in one query (Image.tags through a DataLoader); [] where not projected yet. */
  async tagsForImages(ids: readonly string[], first: number): Promise<TagMatch[][]> {
    const rows = await this.imageText.nearestTagsForImages(ids, candidatesFor(first), this.settings.wordEfSearch);
    const byImage = groupBy(rows, (row) => row.imageId);
    return ids.map((id) => distinctLemmas(byImage.get(id) ?? [], first));
  }

  async imagesForText(text: string, first?: number | null, category?: string | null): Promise<ImagesForText> {
    const limit = checkFirst(first, 10);
    const tokens = dropStopWords(tokenize(checkText(text, 'text')));
    this.warmup.check('imagesForText');
    const embedding = embedText(tokens, await this.words.findVectors(tokens));
    if (!embedding.vector) throw noKnownWords(embedding.unknown);
    const wanted = cleanCategory(category);
    if (wanted) await categorySize(this.images, wanted);
    const rows = await this.imageText.nearestImages(embedding.vector, {
      first: limit,
      category: wanted,
      efSearch: this.settings.imageEfSearch,
    });
    const matches = rows.map(({ distance, ...image }) => ({ image, distance }));
    return { matches, unknownWords: embedding.unknown };
  }
}

// Rules for the arguments several questions share: page sizes, text, image
// bytes, "a stored image or new bytes", and categories.
import { MAX_TEXT_LENGTH } from '../embedding/index.js';
import { badInput, MAX_QUOTED_INPUT, quoted } from '../errors.js';
import type { ImageRepository, PhotoScope } from '../repositories/imageRepository.js';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** MAX_IMAGE_BYTES for people, in messages: "10 MiB". */
export const MAX_IMAGE_SIZE = `${MAX_IMAGE_BYTES / (1024 * 1024)} MiB`;
const MAX_CATEGORY_LENGTH = 100;
const MAX_CAPTIONS = 20;
const MAX_CAPTION_LENGTH = 500;

export interface ImageInput {
  base64: string;
}

export const MAX_FIRST = 100;

/** `first` arguments: 1..100 everywhere. */
export function checkFirst(first: number | null | undefined, fallback: number, name = 'first'): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_FIRST) {
    throw badInput(`'${name}' must be between 1 and ${MAX_FIRST}, got ${value}`);
  }
  return value;
}

export function checkText(text: string, argument: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw badInput(`'${argument}' is empty: enter at least one word`);
  if (trimmed.length > MAX_TEXT_LENGTH) {
    throw badInput(`'${argument}' is too long: at most ${MAX_TEXT_LENGTH} characters, got ${trimmed.length}`);
  }
  return trimmed;
}

/** No word of a text has a vector (and, when `captionsSearched`, no caption uses any of them either). */
export function noKnownWords(unknown: readonly string[], captionsSearched = false) {
  const shown = unknown.slice(0, 10).map((word) => word.slice(0, MAX_QUOTED_INPUT));
  const captions = captionsSearched ? ', and no caption uses them' : '';
  return badInput(`No known words in ${quoted(shown.join(' '))}${captions}. Try common English words.`, { unknownWords: shown });
}

/** Why bytes of this size are refused (the rest of the sentence: "<the file> is …"). */
export const tooLarge = (bytes: number) => `too large: ${bytes} bytes; images up to ${MAX_IMAGE_BYTES} bytes are accepted`;

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

export type QueriedImage = { id: string } | { image: ImageInput };

/** A stored image (`id`) or new bytes (`image`): exactly one of them. */
export function queriedImage(args: { id?: string | null; image?: ImageInput | null }): QueriedImage {
  const byId = args.id !== null && args.id !== undefined;
  const byImage = args.image !== null && args.image !== undefined;
  if (byId === byImage) {
    throw badInput(`Give exactly one of 'id' (a stored image) or 'image' (new image bytes), not ${byId ? 'both' : 'neither'}`);
  }
  return byId ? { id: args.id! } : { image: args.image! };
}

/**
 * Characters a label must not hold: controls (C0, C1, U+2028/U+2029) and the
 * invisible format characters (bidirectional overrides such as U+202E,
 * zero-width space U+200B, U+FEFF, ...), which make one text look like
 * another or reorder what is shown around it. Zero-width non-joiner and joiner
 * (U+200C, U+200D) stay allowed: Persian, Indic scripts and emoji need them.
 * Lone surrogates cannot be stored as UTF-8.
 */
const HIDDEN_CHARACTER = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Refuses text with a control or invisible format character, naming the first and where it is. */
function checkVisible(text: string, argument: string): void {
  const match = HIDDEN_CHARACTER.exec(text);
  if (!match) return;
  const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  throw badInput(
    `'${argument}' contains U+${code}, a control or invisible formatting character, at position ${match.index + 1}: ` +
      'remove it (letters of any script, digits, punctuation and plain spaces are allowed)',
  );
}

/** A category argument, trimmed; undefined when not given or blank. */
export function cleanCategory(category: string | null | undefined): string | undefined {
  const trimmed = category?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > MAX_CATEGORY_LENGTH) {
    throw badInput(`'category' is too long: at most ${MAX_CATEGORY_LENGTH} characters`);
  }
  checkVisible(trimmed, 'category');
  return trimmed;
}

/** Captions of an image: trimmed, blank ones dropped; at most 20 of at most 500 characters each, all visible. */
export function cleanCaptions(captions: readonly string[] | null | undefined): string[] {
  const cleaned = (captions ?? []).map((c) => c.trim()).filter((c) => c !== '');
  if (cleaned.length > MAX_CAPTIONS) throw badInput(`'captions': at most ${MAX_CAPTIONS}, got ${cleaned.length}`);
  const long = cleaned.find((c) => c.length > MAX_CAPTION_LENGTH);
  if (long) throw badInput(`'captions': each at most ${MAX_CAPTION_LENGTH} characters, one has ${long.length}`);
  cleaned.forEach((caption, i) => checkVisible(caption, `captions[${i}]`));
  return cleaned;
}

/**
 * How many images a category holds, for a search to choose its scan. None is
 * refused: an unknown category is a typo more often than an empty answer, so
 * the error says which exist.
 */
export async function categorySize(images: ImageRepository, category: string, scope: PhotoScope = 'owned'): Promise<number> {
  const size = await images.count(category, scope);
  if (size > 0) return size;
  const known = await images.categories(scope);
  throw badInput(`No images in category ${quoted(category)}. Categories: ${known.join(', ') || '(none yet)'}`, {
    categories: known,
  });
}

/** `maxDistance`: a cosine distance, 0..2; undefined when not given. */
export function checkMaxDistance(maxDistance: number | null | undefined): number | undefined {
  if (maxDistance === null || maxDistance === undefined) return undefined;
  if (!Number.isFinite(maxDistance) || maxDistance < 0 || maxDistance > 2) {
    throw badInput(`'maxDistance' is a cosine distance between 0 and 2, got ${maxDistance}`);
  }
  return maxDistance;
}

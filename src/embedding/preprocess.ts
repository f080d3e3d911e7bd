// Image bytes → model input with sharp: EXIF orientation applied, sRGB without
// alpha (greyscale, CMYK, PNG and WebP included), resized to size×size and
// scaled to [-1, 1] as MobileNet was trained.
import type { Metadata } from 'sharp';
import { loadSharp } from '../lib/sharp.js';

/** Bytes that are not a supported, complete image. Services map it to BAD_USER_INPUT. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export const SUPPORTED_FORMATS = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
export type ImageFormat = keyof typeof SUPPORTED_FORMATS;

/** Decompression-bomb guard: more pixels than this are refused before decoding. */
export const MAX_INPUT_PIXELS = 40_000_000;

/** 'fill' stretches the whole photo to a square; 'cover' centre-crops the short side. */
export type ImageFit = 'fill' | 'cover';

export interface ImageInfo {
  format: ImageFormat;
  mimeType: string;
  /** As displayed, i.e. after EXIF rotation. */
  width: number;
  height: number;
}

/** A decoder failure as the error clients see. */
export function decodeError(err: unknown): ImageDecodeError {
  const reason = (err as Error).message.replace(/^Input buffer /, '').split('\n')[0]?.trim();
  // libvips keeps one error buffer per process: a decode that fails beside
  // another one can lose its reason ("Unknown error"); say what is known.
  const known = reason && !/^unknown error$/i.test(reason) ? reason : 'truncated or corrupt image data';
  return new ImageDecodeError(`not a readable image (${known})`);
}

/** sharp on `bytes`, with the limits every decode uses. */
export async function openImage(bytes: Uint8Array) {
  const sharp = await loadSharp();
  // failOn 'truncated': a cut-off file is an error, not a grey bottom half.
  return sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated' });
}

/** Format and displayed size, from the header; throws ImageDecodeError. */
export async function inspectImage(bytes: Uint8Array): Promise<ImageInfo> {
  if (bytes.length === 0) throw new ImageDecodeError('the image is empty (0 bytes)');
  let metadata: Metadata;
  try {
    metadata = await (await openImage(bytes)).metadata();
  } catch (err) {
    throw decodeError(err);
  }
  const format = metadata.format as string | undefined;
  if (!format || !(format in SUPPORTED_FORMATS)) {
    throw new ImageDecodeError(`unsupported image format '${format ?? 'unknown'}': send JPEG, PNG or WebP`);
  }
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) throw new ImageDecodeError('the image has no size');
  if (width * height > MAX_INPUT_PIXELS) {
    throw new ImageDecodeError(`the image has ${width}×${height} pixels; at most ${MAX_INPUT_PIXELS} are accepted`);
  }
  return { format: format as ImageFormat, mimeType: SUPPORTED_FORMATS[format as ImageFormat], width, height };
}

export interface DecodedImage {
  /** size×size×3 RGB bytes. */
  rgb: Uint8Array;
  /** What inspectImage found: callers need not inspect the bytes again. */
  info: ImageInfo;
}

/** Inspects, then decodes fully (so truncated files fail here) to size×size×3 RGB bytes. */
export async function decodeRgb(bytes: Uint8Array, size: number, fit: ImageFit): Promise<DecodedImage> {
  const info = await inspectImage(bytes);
  try {
    const { data, info: output } = await (await openImage(bytes))
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .resize(size, size, { fit, position: 'centre', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (output.channels !== 3) throw new Error(`expected 3 channels, got ${output.channels}`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), info };
  } catch (err) {
    throw err instanceof ImageDecodeError ? err : decodeError(err);
  }
}

/** RGB bytes → floats in [-1, 1] (x / 127.5 − 1), optionally mirrored left-right. */
export function toModelInput(rgb: Uint8Array, size: number, mirror = false): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + (mirror ? size - 1 - x : x)) * 3;
      const to = (y * size + x) * 3;
      out[to] = rgb[from]! / 127.5 - 1;
      out[to + 1] = rgb[from + 1]! / 127.5 - 1;
      out[to + 2] = rgb[from + 2]! / 127.5 - 1;
    }
  }
  return out;
}

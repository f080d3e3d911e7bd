// GET /images/:id — the original bytes with their content type, or with
// ?w=<pixels> a thumbnail that wide (never enlarged) made with sharp. Bytes of
// an id never change (ids come from file names or content hashes), so the
// content hash is a strong ETag and clients may cache for a day.
import express, { type Request, type Response } from 'express';
import sharp from 'sharp';
import { noImage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ImageService } from '../services/imageService.js';
import { unavailableMessage } from './faults.js';
import { sendError } from './requestErrors.js';

export const MAX_THUMBNAIL_WIDTH = 1024;
const CACHE_CONTROL = 'public, max-age=86400';
const THUMBNAIL_FORMAT = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' } as const;

function parseWidth(raw: unknown): number | null | 'invalid' {
  if (raw === undefined) return null;
  const width = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(width) && width >= 1 && width <= MAX_THUMBNAIL_WIDTH ? width : 'invalid';
}

async function thumbnail(bytes: Buffer, mimeType: string, width: number): Promise<Buffer> {
  const format = THUMBNAIL_FORMAT[mimeType as keyof typeof THUMBNAIL_FORMAT] ?? 'jpeg';
  return sharp(bytes).rotate().resize({ width, withoutEnlargement: true }).toFormat(format).toBuffer();
}

export function imageRouter(images: ImageService, logger: Logger): express.Router {
  const router = express.Router();
  router.get('/images/:id', async (req: Request<{ id: string }>, res: Response) => {
    const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      sendError(logger, req, res, { status, code, message, headers });
    const width = parseWidth(req.query.w);
    if (width === 'invalid') {
      refuse(400, 'BAD_USER_INPUT', `'w' must be a whole number of pixels from 1 to ${MAX_THUMBNAIL_WIDTH}`);
      return;
    }
    // PostgreSQL text cannot hold U+0000: no id has one, and the database would fail on it.
    if (req.params.id.includes('\u0000')) {
      refuse(400, 'BAD_REQUEST', 'the image id in the path contains a NUL character (%00): remove it');
      return;
    }
    let file: Awaited<ReturnType<ImageService['file']>>;
    try {
      file = await images.file(req.params.id);
    } catch (err) {
      const message = unavailableMessage(err);
      if (message === undefined) throw err;
      refuse(503, 'SERVICE_UNAVAILABLE', message, { 'retry-after': '5' });
      return;
    }
    if (!file) {
      refuse(404, 'NOT_FOUND', noImage(req.params.id).message);
      return;
    }
    const etag = `"${file.contentHash}${width ? `-w${width}` : ''}"`;
    res.set({ ETag: etag, 'Cache-Control': CACHE_CONTROL, 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    const body = width ? await thumbnail(file.bytes, file.mimeType, width) : file.bytes;
    res.type(file.mimeType).send(body);
  });
  return router;
}

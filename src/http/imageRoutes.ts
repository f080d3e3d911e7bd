// GET /images/:id — the original bytes with their content type, or with
// ?w=<pixels> a thumbnail that wide (never enlarged) made with sharp. Bytes of
// an id never change (ids come from file names or content hashes), so the
// content hash is a strong ETag and clients may cache for a day.
import express, { type Request, type Response } from 'express';
import sharp from 'sharp';
import type { ImageService } from '../services/imageService.js';
import { unavailableMessage } from './faults.js';

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

export function imageRouter(images: ImageService): express.Router {
  const router = express.Router();
  router.get('/images/:id', async (req: Request<{ id: string }>, res: Response) => {
    const width = parseWidth(req.query.w);
    if (width === 'invalid') {
      res.status(400).json({ error: `'w' must be a whole number of pixels from 1 to ${MAX_THUMBNAIL_WIDTH}` });
      return;
    }
    let file: Awaited<ReturnType<ImageService['file']>>;
    try {
      file = await images.file(req.params.id);
    } catch (err) {
      const message = unavailableMessage(err);
      if (message === undefined) throw err;
      res.status(503).set('Retry-After', '5').json({ error: message });
      return;
    }
    if (!file) {
      res.status(404).json({ error: `No image with id '${req.params.id}'` });
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

// GET /images/:id — the original bytes with their content type, or with
// ?w=<pixels> a thumbnail that wide (never enlarged). Bytes of an id never
// change (ids come from file names or content hashes), so the content hash is
// a strong ETag and clients may cache for a day. The original is streamed a
// slice at a time (services/photoFiles.ts); thumbnails come from a bounded
// cache (thumbnails.ts), so neither passes a whole photo through the store's
// query connection while other queries wait.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response } from 'express';
import { noImage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ImageFileInfo, PhotoFiles } from '../services/photoFiles.js';
import { unavailableMessage } from './faults.js';
import { sendError } from './requestErrors.js';
import { resize, type ThumbnailCache } from './thumbnails.js';

export const MAX_THUMBNAIL_WIDTH = 1024;
const CACHE_CONTROL = 'public, max-age=86400';

function parseWidth(raw: unknown): number | null | 'invalid' {
  if (raw === undefined) return null;
  const width = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(width) && width >= 1 && width <= MAX_THUMBNAIL_WIDTH ? width : 'invalid';
}

/** The original's slices, failing when the photo was deleted part-way (the client must not take a cut file as whole). */
async function* wholePhoto(photos: PhotoFiles, id: string, size: number): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const slice of photos.slices(id, size)) {
    sent += slice.length;
    yield slice;
  }
  if (sent !== size) throw new Error(`image ${id} was deleted while it was sent`);
}

export function imageRouter(photos: PhotoFiles, thumbnails: ThumbnailCache, logger: Logger): express.Router {
  const router = express.Router();
  router.get('/images/:id', async (req: Request<{ id: string }>, res: Response) => {
    const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      sendError(logger, req, res, { status, code, message, headers });
    const { id } = req.params;
    const width = parseWidth(req.query.w);
    if (width === 'invalid') {
      refuse(400, 'BAD_USER_INPUT', `'w' must be a whole number of pixels from 1 to ${MAX_THUMBNAIL_WIDTH}`);
      return;
    }
    // PostgreSQL text cannot hold U+0000: no id has one, and the database would fail on it.
    if (id.includes('\u0000')) {
      refuse(400, 'BAD_REQUEST', 'the image id in the path contains a NUL character (%00): remove it');
      return;
    }
    const unavailable = (err: unknown) => {
      const message = unavailableMessage(err);
      if (message === undefined) throw err;
      refuse(503, 'SERVICE_UNAVAILABLE', message, { 'retry-after': '5' });
    };
    let info: ImageFileInfo | null;
    try {
      info = await photos.info(id);
    } catch (err) {
      return unavailable(err);
    }
    if (!info) {
      refuse(404, 'NOT_FOUND', noImage(id).message);
      return;
    }
    const etag = `"${info.contentHash}${width ? `-w${width}` : ''}"`;
    res.set({ ETag: etag, 'Cache-Control': CACHE_CONTROL, 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    if (width === null) {
      res.type(info.mimeType).set('Content-Length', String(info.size));
      // A client that leaves, or a photo deleted meanwhile, ends the stream: the connection is closed.
      await pipeline(Readable.from(wholePhoto(photos, id, info.size)), res).catch(() => res.destroy());
      return;
    }
    const { mimeType, size } = info;
    let thumbnail: Buffer | null;
    try {
      thumbnail = await thumbnails.get(`${info.contentHash}:${width}`, async () => {
        const bytes = await photos.bytes(id, size);
        return bytes && resize(bytes, mimeType, width);
      });
    } catch (err) {
      return unavailable(err);
    }
    if (!thumbnail) {
      refuse(404, 'NOT_FOUND', noImage(id).message);
      return;
    }
    res.type(mimeType).send(thumbnail);
  });
  return router;
}

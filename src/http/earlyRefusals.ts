// Refusals made from the headers alone, before a byte of the body is read:
// a declared body over the limit, and an upload (declared large, or chunked)
// while the embedding queue is full or UPLOADS_AT_ONCE uploads are in
// progress (uploadSlots.ts). Under a flood of uploads a refusal then costs
// no base64, JSON or GraphQL work, which leaves the CPU to the uploads being
// embedded, and the memory of uploads stays bounded.
import type http from 'node:http';
import type { RequestHandler } from 'express';
import { ClientError } from '../errors.js';
import type { UploadSettings } from '../config.js';
import type { Logger } from '../logger.js';
import { MAX_IMAGE_SIZE } from '../services/arguments.js';
import type { ImageService } from '../services/imageService.js';
import { overloaded, type ModelRefusals } from '../services/modelErrors.js';
import { isUploadBody, MAX_BODY_BYTES, UPLOADS_AT_ONCE } from './limits.js';
import { refusalOf, sendError, type Refusal } from './requestErrors.js';
import { UploadSlots } from './uploadSlots.js';

const declaredLength = (req: http.IncomingMessage) => Number(req.headers['content-length'] ?? 0);

const isUpload = (req: http.IncomingMessage) =>
  req.method === 'POST' && (req.url ?? '').split('?')[0] === '/graphql' && isUploadBody(req);

/** Uploads in progress, counted from their headers to their answer. */
export class UploadsInProgress {
  private readonly slots: UploadSlots;

  constructor(
    private readonly images: ImageService,
    settings: UploadSettings,
    logger: Logger,
    /** Where OVERLOADED refusals are counted (the metrics). */
    private readonly refusals?: ModelRefusals,
  ) {
    this.slots = new UploadSlots(settings, logger);
  }

  /** OVERLOADED (503, Retry-After) when this upload cannot be taken now; undefined when it can. */
  refusal(req: http.IncomingMessage): Refusal | undefined {
    if (!isUpload(req)) return undefined;
    if (this.slots.size >= UPLOADS_AT_ONCE) {
      return refusalOf(overloaded(`receiving ${this.slots.size} uploads`, this.slots.retryAfterSeconds(), this.refusals));
    }
    try {
      this.images.admitImage();
      return undefined;
    } catch (err) {
      if (err instanceof ClientError) return refusalOf(err);
      throw err;
    }
  }

  /** Counts the upload until its answer is sent or its connection closes (or its body stops moving). */
  track(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.slots.take(req, res);
  }
}

export interface UploadGate {
  /** First on the Express stack: refuses an upload before its body is read, or counts it in. */
  middleware: RequestHandler;
  uploads: UploadsInProgress;
}

export function uploadGate(images: ImageService, logger: Logger, settings: UploadSettings, refusals?: ModelRefusals): UploadGate {
  const uploads = new UploadsInProgress(images, settings, logger, refusals);
  const middleware: RequestHandler = (req, res, next) => {
    const refusal = uploads.refusal(req);
    // The unread body is discarded by Node as it arrives, keeping the connection usable.
    if (refusal) return sendError(logger, req, res, refusal);
    if (isUpload(req)) uploads.track(req, res);
    next();
  };
  return { middleware, uploads };
}

/**
 * `Expect: 100-continue`: a declared body over the limit gets 413 and an
 * upload the queue cannot take gets 503 at once, so the client never sends
 * the bytes; anything else is told to continue.
 */
export function answerExpectContinue(server: http.Server, uploads: UploadsInProgress, logger: Logger): void {
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const refusal: Refusal | undefined =
      declaredLength(req) > MAX_BODY_BYTES
        ? {
            status: 413,
            code: 'PAYLOAD_TOO_LARGE',
            message: `the request body would be ${declaredLength(req)} bytes, at most ${MAX_BODY_BYTES}: send images up to ${MAX_IMAGE_SIZE}`,
          }
        : uploads.refusal(req);
    if (!refusal) {
      res.writeContinue();
      server.emit('request', req, res);
      return;
    }
    // The client may send the body anyway; closing spares reading it.
    sendError(logger, req, res, { ...refusal, headers: { ...refusal.headers, connection: 'close' } });
  });
}

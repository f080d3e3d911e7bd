// Refusals made from the headers alone, before a byte of the body is read:
// a declared body over the limit, and an upload while the embedding queue is
// full. Under a flood of uploads a refusal then costs no base64, JSON or
// GraphQL work, which leaves the CPU to the uploads being embedded.
import type http from 'node:http';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from '../logger.js';
import type { ImageService } from '../services/imageService.js';
import { MAX_BODY_BYTES, UPLOAD_BODY_BYTES } from './limits.js';
import { sendError, type Refusal } from './requestErrors.js';

const declaredLength = (req: http.IncomingMessage) => Number(req.headers['content-length'] ?? 0);

const isUpload = (req: http.IncomingMessage) =>
  req.method === 'POST' && (req.url ?? '').split('?')[0] === '/graphql' && declaredLength(req) >= UPLOAD_BODY_BYTES;

/** OVERLOADED (503, Retry-After) when the request is an upload and the queue cannot take an image now. */
function overloadedRefusal(req: http.IncomingMessage, images: ImageService): Refusal | undefined {
  if (!isUpload(req)) return undefined;
  try {
    images.admitImage();
    return undefined;
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    const retryAfterSeconds = Number(err.extensions.retryAfterSeconds);
    return {
      status: 503,
      code: String(err.extensions.code),
      message: err.message,
      headers: { 'retry-after': String(retryAfterSeconds) },
      extra: { retryAfterSeconds },
    };
  }
}

/** First on the HTTP stack: an upload that would be refused after decoding is refused before reading. */
export function refuseOverloadedUploads(images: ImageService, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const refusal = overloadedRefusal(req, images);
    if (!refusal) return next();
    // The unread body is discarded by Node as it arrives, keeping the connection usable.
    sendError(logger, req, res, refusal);
  };
}

/**
 * `Expect: 100-continue`: a declared body over the limit gets 413 and an
 * upload the queue cannot take gets 503 at once, so the client never sends
 * the bytes; anything else is told to continue.
 */
export function answerExpectContinue(server: http.Server, images: ImageService, logger: Logger): void {
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const refusal: Refusal | undefined =
      declaredLength(req) > MAX_BODY_BYTES
        ? {
            status: 413,
            code: 'PAYLOAD_TOO_LARGE',
            message: `the request body would be ${declaredLength(req)} bytes, at most ${MAX_BODY_BYTES}: send images up to 10 MiB`,
          }
        : overloadedRefusal(req, images);
    if (!refusal) {
      res.writeContinue();
      server.emit('request', req, res);
      return;
    }
    // The client may send the body anyway; closing spares reading it.
    sendError(logger, req, res, { ...refusal, headers: { ...refusal.headers, connection: 'close' } });
  });
}

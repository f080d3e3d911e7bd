// How long a client may take. Node's defaults let a request's body trickle in
// for 300 s; here headers get 10 s, a body 10 s, and only an upload (a body
// of UPLOAD_BODY_BYTES or more, or a chunked one: image bytes) the time a
// 15 MiB body needs on a slow line (and it must keep moving: uploadSlots.ts).
// Node's own request timeout stays behind ours as the backstop.
import type http from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { isUploadBody } from './limits.js';
import { sendError } from './requestErrors.js';

export interface Timeouts {
  headersSeconds: number;
  bodySeconds: number;
  uploadBodySeconds: number;
  keepAliveSeconds: number;
}

export const TIMEOUTS: Timeouts = {
  /** Until the request line and headers are in. */
  headersSeconds: 10,
  /** Until a body under UPLOAD_BODY_BYTES is in. */
  bodySeconds: 10,
  /** Until an upload's body is in: 15 MiB at about 1.5 Mbit/s. */
  uploadBodySeconds: 90,
  /** An idle kept-alive connection is closed after this. */
  keepAliveSeconds: 5,
};

/** Options for http.createServer: Node answers 408 and closes past these (checked every second, not every 30). */
export function serverTimeouts(timeouts: Timeouts): http.ServerOptions {
  return {
    headersTimeout: timeouts.headersSeconds * 1000,
    requestTimeout: (timeouts.uploadBodySeconds + 10) * 1000,
    keepAliveTimeout: timeouts.keepAliveSeconds * 1000,
    connectionsCheckingInterval: 1000,
  };
}

const hasBody = (req: http.IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** Answers a body that is too slow with a coded 408, then closes the connection (the rest of the body is not read). */
export function refuseSlowBody(logger: Logger, req: http.IncomingMessage, res: http.ServerResponse, message: string): void {
  sendError(logger, req, res, { status: 408, code: 'REQUEST_TIMEOUT', message, headers: { connection: 'close' } });
  if (res.writableFinished) req.socket.destroy();
  else res.once('finish', () => req.socket.destroy());
}

/** A body that has not arrived in its time is answered with a coded 408 and the connection closed. */
export function bodyDeadlines(logger: Logger, timeouts: Timeouts): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req) || req.complete) return next();
    const seconds = isUploadBody(req) ? timeouts.uploadBodySeconds : timeouts.bodySeconds;
    const timer = setTimeout(
      () => refuseSlowBody(logger, req, res, `the request body did not arrive within ${seconds} s: send it at once`),
      seconds * 1000,
    );
    timer.unref();
    const stop = () => clearTimeout(timer);
    req.once('end', stop);
    req.once('close', stop);
    res.once('finish', stop);
    next();
  };
}

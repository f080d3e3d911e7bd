// Browser clients on other origins (CORS_ORIGINS): preflights answered and the
// CORS headers set for the listed origins (or any, with '*'); without the
// setting no CORS header is sent, so browsers allow same-origin calls only.
// Apollo's CSRF prevention stays on: a cross-origin browser request must be
// preflighted, and a preflight is answered only for a listed origin.
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { CorsOrigins } from '../config.js';

/** Headers a page may read from an answer: the request id, and when to retry. */
const EXPOSED_HEADERS = ['X-Request-Id', 'Retry-After'];
/** Seconds a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE = 600;

/** The middleware, or undefined for same-origin only. */
export function corsHandler(origins: CorsOrigins): RequestHandler | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  return cors({
    origin: origins,
    methods: ['GET', 'POST'],
    // Bearer tokens travel in a header, never in cookies.
    credentials: false,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE,
  });
}

// One log line per HTTP request, and the GraphQL request metrics: request id
// (X-Request-Id taken when sane, else made, and returned), method, path
// without its query string, status, duration, and for /graphql the operation
// and error codes the Apollo plugin noted. Never a body, variables, a header's
// token or image bytes.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { OperationRecord } from '../graphql/operationRecord.js';
import type { Logger, LogFields } from '../logger.js';
import { logText } from './logText.js';
import type { Metrics } from '../services/metrics.js';

/** A client's id is kept only when it cannot forge or flood a log line. */
const SANE_REQUEST_ID = /^[\w.:@-]{1,128}$/;
/** Probes and scrapes come every few seconds: logged at debug, not info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const GRAPHQL_PATH = '/graphql';

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The record the Apollo context and the refusals fill for this request; undefined before the request log saw it. */
export function operationRecordOf(res: Response | ServerResponse): OperationRecord | undefined {
  return (res as { locals?: { operation?: OperationRecord } }).locals?.operation;
}

/** A refusal's reason in the request line: long enough to act on, never a flood. */
const MAX_LOGGED_REASON = 300;

function logFields(
  req: Request,
  res: Response,
  path: string,
  durationMs: number,
  operation: OperationRecord,
  reason: string | undefined,
): LogFields {
  return {
    requestId: res.locals.requestId,
    method: req.method,
    path,
    status: res.statusCode,
    durationMs: Math.round(durationMs * 10) / 10,
    ...(operation.type ? { operationType: operation.type, operation: operation.rootFields } : {}),
    ...(operation.name ? { operationName: logText(operation.name) } : {}),
    ...(operation.errorCodes.length > 0 ? { errorCodes: operation.errorCodes } : {}),
    ...(reason ? { reason } : {}),
    // The client went away before the answer was sent.
    ...(res.writableFinished ? {} : { aborted: true }),
  };
}

export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const requestId = requestIdOf(req.get('x-request-id'));
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const operation: OperationRecord = { errorCodes: [] };
    res.locals.operation = operation;
    res.once('close', () => {
      const durationMs = performance.now() - started;
      const path = req.originalUrl.split('?', 1)[0]!;
      if (path === GRAPHQL_PATH) {
        metrics.observeRequest({
          operation: operation.rootFields ?? 'invalid',
          type: operation.type ?? 'unknown',
          durationSeconds: durationMs / 1000,
          errorCodes: operation.errorCodes,
        });
      }
      const level = QUIET_PATHS.has(path) ? 'debug' : 'info';
      // The line is built only when it is written (a server logging at warn answers most requests without one).
      if (logger.isEnabled && !logger.isEnabled(level)) return;
      // A client's path is its input: quoted short, like every echo of it.
      const shown = logText(path);
      const what = operation.type ? ` ${operation.type} ${operation.rootFields}` : '';
      const reason = operation.reason && logText(operation.reason, MAX_LOGGED_REASON);
      const why = reason ? `: ${operation.errorCodes[0] ?? ''} ${reason}` : '';
      const message = `${req.method} ${shown}${what} ${res.statusCode} in ${durationMs.toFixed(1)} ms${why}`;
      logger[level](message, logFields(req, res, shown, durationMs, operation, reason));
    });
    next();
  };
}

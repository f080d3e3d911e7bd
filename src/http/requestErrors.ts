// Every refusal outside GraphQL's own pipeline (body reading, paths, early
// refusals, timeouts) answered the way GraphQL errors are: a JSON body with
// `extensions.code`, a 4xx status when the client is at fault, and one short
// log line without a stack. 500 is left for our own bugs, logged with their
// stack. Messages quote at most MAX_QUOTED_INPUT characters of client input.
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MAX_QUOTED_INPUT, quoted, type ClientError, type ClientErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_IMAGE_SIZE } from '../services/arguments.js';
import { logText, oneLine } from './logText.js';
import { operationRecordOf } from './requestLog.js';
import { stoppedAnswer, unavailableMessage } from './faults.js';

export interface HttpErrorBody {
  errors: { message: string; extensions: { code: string; [key: string]: unknown } }[];
}

export const errorBody = (code: string, message: string, extra: Record<string, unknown> = {}): HttpErrorBody => ({
  errors: [{ message, extensions: { code, ...extra } }],
});

export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  extra?: Record<string, unknown>;
}

/** The status of each service refusal when it is a whole HTTP answer (GraphQL answers some within a 200). */
const STATUS_OF_CODE: Record<ClientErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  SERVICE_UNAVAILABLE: 503,
  OVERLOADED: 503,
};

/** A service's ClientError as an HTTP refusal, with Retry-After when a retry may succeed. */
export function refusalOf(err: ClientError): Refusal {
  const retry = err.retryAfterSeconds;
  return {
    status: STATUS_OF_CODE[err.code],
    code: err.code,
    message: err.message,
    ...(retry === undefined ? {} : { headers: { 'retry-after': String(retry) } }),
    extra: { ...err.details, ...(retry === undefined ? {} : { retryAfterSeconds: retry }) },
  };
}

/** The path as the client sent it (Express strips a router's mount point from req.url), cut short. */
function shownPath(req: IncomingMessage): string {
  return logText((req as { originalUrl?: string }).originalUrl ?? req.url ?? '');
}

/**
 * Sends a coded JSON error, logged in one line (never the body): the
 * request's own line when the request log has it, else a line of its own
 * (early refusals answer before Express sees the request).
 */
export function sendError(logger: Logger, req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const record = operationRecordOf(res);
  if (record) {
    // The request's own line (src/http/requestLog.ts) says why.
    record.errorCodes.push(refusal.code);
    record.reason = refusal.message;
  } else {
    logger.info(oneLine(`refused ${req.method} ${shownPath(req)}: ${refusal.status} ${refusal.code}: ${refusal.message}`));
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(refusal.code, refusal.message, refusal.extra));
  res.writeHead(refusal.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...refusal.headers,
  });
  res.end(body);
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  /** body-parser: the content-encoding or charset it could not read. */
  encoding?: string;
  charset?: string;
  code?: string;
  message?: string;
  stack?: string;
}

/** What a client sees for an error Express or its body reader raised; undefined when it is ours. */
function clientRefusal(err: HttpishError, maxBodyBytes: number): Refusal | undefined {
  const status = err.status ?? err.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const code = CODE_OF_STATUS[status] ?? 'BAD_REQUEST';
  const said = quoted(String(err.message ?? ''));
  switch (err.type) {
    case 'entity.too.large':
      return { status, code, message: `the request body is larger than ${maxBodyBytes} bytes: send images up to ${MAX_IMAGE_SIZE}` };
    case 'encoding.unsupported':
      return { status, code, message: `the content-encoding ${quoted(err.encoding ?? '')} is not supported: send the body uncompressed or with gzip, deflate or br` };
    case 'charset.unsupported':
      return { status, code, message: `the charset ${quoted(err.charset ?? '')} is not supported: send JSON in UTF-8` };
    case 'request.aborted':
      return { status, code, message: 'the request was aborted before its body arrived' };
    case 'request.size.invalid':
      return { status, code, message: 'the request body is not as long as its content-length says' };
  }
  // zlib's own errors, raised while inflating a compressed body.
  if (err.code?.startsWith('Z_') || err.code?.startsWith('ERR__')) {
    return { status, code, message: `the request body is not valid for its content-encoding (${said}): send it uncompressed or correctly compressed` };
  }
  if (err instanceof URIError) {
    return { status, code, message: 'the path has an invalid percent-encoding (such as %ff or a lone %): encode the path as UTF-8' };
  }
  return { status, code, message: said };
}

/** The last error handler: coded JSON for a client's fault, 500 with the stack logged for ours. */
export function jsonErrors(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (err: HttpishError, req, res, _next) => {
    const refusal = clientRefusal(err, maxBodyBytes);
    if (refusal) {
      sendError(logger, req, res, refusal);
      return;
    }
    logger.error(`${req.method} ${shownPath(req)} failed: ${err.stack ?? err.message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'the server failed to answer this request; it has been logged'));
  };
}

/** Any other path: a coded 404 instead of Express's HTML page. */
export function notFoundAsJson(logger: Logger): RequestHandler {
  return (req, res) =>
    sendError(logger, req, res, { status: 404, code: 'NOT_FOUND', message: `nothing at ${req.method} ${quoted(req.path)}` });
}

/** Quoted runs in graphql-js and Apollo messages ("…" around names and values) longer than this are cut. */
const QUOTED_RUN = new RegExp(`"((?:[^"\\\\]|\\\\.){${MAX_QUOTED_INPUT + 1},})"`, 'gs');
/** A message longer than this is cut whatever it holds: the last guard against echoing input. */
const MAX_MESSAGE_LENGTH = 1_000;

function clipMessage(message: string): string {
  const clipped = message.replace(QUOTED_RUN, (_match, run: string) => `"${run.slice(0, MAX_QUOTED_INPUT)}…"`);
  return clipped.length > MAX_MESSAGE_LENGTH ? `${clipped.slice(0, MAX_MESSAGE_LENGTH)}… (cut)` : clipped;
}

/**
 * graphql-js's whole message when validation runs out of its work budget
 * (900 repeated `__typename` fields do it): nothing a client can act on.
 */
const VALIDATION_ABORTED = 'Validation aborted.';
const VALIDATION_ABORTED_MEANS =
  "validation stopped: comparing the query's fields took more work than graphql-js allows " +
  '(its rule OverlappingFieldsCanBeMerged, which checks that fields answered under the same name agree, ' +
  'or its budget for fragment spreads): ask for each field once per selection, give repeated fields ' +
  'distinct aliases, and spread fewer fragments';

/**
 * Apollo's formatError, last step: Apollo's own refusals that carry a 4xx
 * status but no code (a persisted-query hash mismatch, an unsupported
 * persisted-query version) are BAD_REQUEST, not INTERNAL_SERVER_ERROR;
 * messages graphql-js builds from a client's names and values are cut short;
 * and its bare "Validation aborted." names the rule that stopped.
 */
export function clientFacing(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const misCoded = formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && isApolloRefusal(error);
  const message = formatted.message === VALIDATION_ABORTED ? VALIDATION_ABORTED_MEANS : clipMessage(formatted.message);
  const stacktrace = formatted.extensions?.stacktrace;
  if (!misCoded && message === formatted.message && !Array.isArray(stacktrace)) return formatted;
  const extensions = { ...formatted.extensions };
  if (misCoded) extensions.code = 'BAD_REQUEST';
  // Development only: the stack's first line repeats the message.
  if (Array.isArray(stacktrace)) extensions.stacktrace = stacktrace.map((line) => clipMessage(String(line)));
  return { ...formatted, message, extensions };
}

/** An Apollo refusal given a 4xx status but no code. */
function isApolloRefusal(error: unknown): boolean {
  const status = (error as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
  return status !== undefined && status >= 400 && status < 500;
}

/** The code a client is answered with (formatError's and clientFacing's, before they run). */
function answeredCode(error: GraphQLError): string {
  if (error.extensions?.code) return String(error.extensions.code);
  const stopped = stoppedAnswer(unwrapResolverError(error));
  if (stopped) return stopped.code;
  if (unavailableMessage(unwrapResolverError(error)) !== undefined) return 'SERVICE_UNAVAILABLE';
  return isApolloRefusal(error) ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
}

/**
 * A client's GraphQL errors are in its request's one line (the request log
 * notes their codes and the first message); ours (INTERNAL_SERVER_ERROR) get
 * a line of their own at error, with the stack, since that is a bug to fix.
 */
export function graphqlErrorLog(logger: Logger): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          const first = errors[0]!;
          if (answeredCode(first) !== 'INTERNAL_SERVER_ERROR') return;
          const line = `graphql ${operationName ?? 'operation'}: INTERNAL_SERVER_ERROR: ${clipMessage(first.message)}`;
          logger.error(`${oneLine(line)}\n${first.originalError?.stack ?? first.stack ?? ''}`);
        },
      };
    },
  };
}

// Limits on what a client may send, each refused with a coded error before it
// costs much: body size, JSON shape and query length at the HTTP layer, before
// anything is parsed; query shape at GraphQL validation (GraphQL Armor). Image
// bytes, pixels and formats are checked where images are decoded
// (services/imageWriter.ts, embedding/preprocess.ts); the query cost rule is in
// queryCost.ts. docs/operations.md lists
// every limit and what a client sees.
import type { IncomingMessage } from 'node:http';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import express, { type RequestHandler } from 'express';
import { GraphQLError, visit, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import { quoted } from '../errors.js';
import { jsonShapeExcess } from '../lib/jsonShape.js';
import type { Logger } from '../logger.js';
import { costLimit } from './queryCost.js';
import { sendError, type Refusal } from './requestErrors.js';

/** A 10 MiB image is 14 MiB as base64; the rest of a request is small. */
export const MAX_BODY_BYTES = 15 * 1024 * 1024;
/**
 * A body at least this large carries image bytes (the page's and the import's
 * other requests are under 2 KB; a 16 KiB query with 20 long captions stays
 * under it): an upload. Uploads are refused before they are read while the
 * embedding queue is full or UPLOADS_AT_ONCE are in progress, and get the
 * longer time to arrive.
 */
export const UPLOAD_BODY_BYTES = 64 * 1024;

/**
 * A body that may carry image bytes: declared at UPLOAD_BODY_BYTES or more,
 * or chunked (its length is unknown until it has arrived, so it is counted,
 * timed and limited as an upload).
 */
export const isUploadBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) >= UPLOAD_BODY_BYTES;
/**
 * Uploads read, decoded or embedded at once. A 14 MiB body is held in about
 * five copies (bytes, text, parsed, decoded) while it is handled: this bounds
 * that memory at about 1 GiB whatever the number of clients, and is still
 * twice the embedding batch, so the workers never wait for bytes.
 */
export const UPLOADS_AT_ONCE = 16;

/**
 * What a request may carry, checked on its text before it is parsed. The
 * largest real requests: the import's lookup of 10 ids (523 characters, 114
 * tokens), the page's photo view (200 characters, 57 tokens), addImage with
 * 20 captions (JSON nesting 3, about 30 elements).
 */
export const REQUEST_LIMITS = {
  /** Characters of query text: 30 times the import's, room for a query of 1,000 ordinary tokens. */
  maxQueryLength: 16_384,
  /** Nesting of the JSON body (the body itself is level 1, its variables 2). */
  maxJsonDepth: 16,
  /** Array items and object members in the body, all levels together. */
  maxJsonElements: 10_000,
} as const;

export const QUERY_LIMITS = {
  /** Deepest legitimate query: images { edges { node { similar { image { similar { image { id } } } } } } }. */
  maxDepth: 10,
  maxAliases: 10,
  /**
   * REQUEST_COST, fields answered and SEARCH_COST per search, nested lists
   * counted `first` times: similarWords(first: 100) { word { similar(first: 1) { distance } } } is 1,512.
   */
  maxCost: 5000,
  maxTokens: 1000,
  maxDirectives: 10,
} as const;

export interface QueryProtection {
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
  plugins: ApolloServerPlugin[];
}

/**
 * Subscriptions: refused at validation (this API has none; graphql-js would
 * fail at execution, which Apollo answers as an internal error).
 * Depth, aliases and directives: GraphQL Armor validation rules
 * (GRAPHQL_VALIDATION_FAILED, 400). Tokens: graphql-js's parser
 * (GRAPHQL_PARSE_FAILED, 400); Armor's token plugin is off because it throws
 * during parsing, which Apollo answers with 500 even for plain syntax errors.
 * Cost: graphql-query-complexity with the variables (BAD_USER_INPUT, 400);
 * Armor's static cost is off because it ignores `first`, and nested
 * `similar(first: 10)` lists multiply the database queries.
 */
export function queryProtection(): QueryProtection {
  const { validationRules, plugins } = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
  }).protect();
  return {
    validationRules: [...validationRules, noSubscriptions],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    // Armor's types come from Apollo's CommonJS build; the plugin objects are the same.
    plugins: [...(plugins as unknown as ApolloServerPlugin[]), costLimit(QUERY_LIMITS.maxCost), rejectNulCharacters],
  };
}

/**
 * Walks with a stack of its own, not recursion: however deep variables are
 * nested they cannot overflow the call stack (the text checks before parsing
 * bound the depth too; variables nested 5,000 deep once answered 500 here).
 */
function hasNul(variables: unknown): boolean {
  const pending: unknown[] = [variables];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      pending.push(...value);
    } else if (value && typeof value === 'object') {
      pending.push(...Object.values(value));
    }
  }
  return false;
}

// Apollo hands the same parsed document to every request with the same query text.
const nulInDocument = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let found = nulInDocument.get(document);
  if (found === undefined) nulInDocument.set(document, (found = scanForNul(document)));
  return found;
}

function scanForNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  return found;
}

/** PostgreSQL text cannot hold U+0000: refuse it up front rather than fail in SQL with a 500. */
const rejectNulCharacters: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        if (hasNul(request.variables) || documentHasNul(document)) {
          throw new GraphQLError('text arguments may not contain the NUL character (U+0000): remove it', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
      },
    };
  },
};

const noSubscriptions: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'subscription') {
      context.reportError(
        new GraphQLError('this API has no subscriptions: ask with a query (or change with a mutation)', { nodes: node }),
      );
    }
  },
});

/** Why a request's JSON text is refused before parsing, or undefined. */
function jsonTextRefusal(text: string, what: string): Refusal | undefined {
  const excess = jsonShapeExcess(text, { maxDepth: REQUEST_LIMITS.maxJsonDepth, maxElements: REQUEST_LIMITS.maxJsonElements });
  if (!excess) return undefined;
  return excess.limit === 'depth'
    ? { status: 400, code: 'BAD_REQUEST', message: `${what} is nested more than ${excess.max} levels deep: send flatter variables` }
    : { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `${what} has more than ${excess.max} array items and object members: send fewer` };
}

function queryTextRefusal(query: unknown): Refusal | undefined {
  if (typeof query !== 'string' || query.length <= REQUEST_LIMITS.maxQueryLength) return undefined;
  return {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message:
      `the query text is ${query.length} characters, at most ${REQUEST_LIMITS.maxQueryLength}: ` +
      `pass image bytes and long text as variables ($image, $text)`,
  };
}

/**
 * POST bodies must be JSON. Without this, a text/plain body reaches Apollo
 * with no parsed body and answers 500.
 */
function requireJson(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const type = req.get('content-type');
    if (!req.is('application/json')) {
      return sendError(logger, req, res, {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `send GraphQL requests as JSON (content-type: application/json), got ${type === undefined ? 'none' : quoted(type)}`,
      });
    }
    const charset = charsetOf(type ?? '');
    if (charset !== undefined && !UTF8.test(charset)) {
      // The body reader would decode utf-16le, latin1, koi8-r and more: JSON is UTF-8 (RFC 8259), and only UTF-8 is tested.
      return sendError(logger, req, res, {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `the charset ${quoted(charset)} is not supported: send JSON in UTF-8 (charset=utf-8, or no charset)`,
      });
    }
    next();
  };
}

const UTF8 = /^utf-?8$/i;

/** The charset parameter of a content type, unquoted; undefined when there is none. */
function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? '') : undefined;
}

/**
 * The body as text, its shape checked before JSON.parse builds it, then its
 * query text's length; a GET's query, variables and extensions likewise.
 */
function parseChecked(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET') {
      const params = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const refusal =
        queryTextRefusal(params.get('query')) ??
        jsonTextRefusal(params.get('variables') ?? '', "the request's variables") ??
        jsonTextRefusal(params.get('extensions') ?? '', "the request's extensions");
      return refusal ? sendError(logger, req, res, refusal) : next();
    }
    if (typeof req.body !== 'string') return next();
    const text = req.body;
    const shapeRefusal = jsonTextRefusal(text, 'the request body');
    if (shapeRefusal) return sendError(logger, req, res, shapeRefusal);
    try {
      req.body = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      const message = `the request body is not valid JSON: ${quoted((err as Error).message)}`;
      return sendError(logger, req, res, { status: 400, code: 'BAD_REQUEST', message });
    }
    const queryRefusal = queryTextRefusal((req.body as { query?: unknown } | null)?.query);
    return queryRefusal ? sendError(logger, req, res, queryRefusal) : next();
  };
}

/** In front of /graphql: JSON only, size- and shape-limited before parsing; reading failures go to the JSON error handler. */
export function graphqlBodyGuards(logger: Logger): RequestHandler[] {
  return [requireJson(logger), express.text({ type: 'application/json', limit: MAX_BODY_BYTES }), parseChecked(logger)];
}

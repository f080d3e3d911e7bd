// Limits on what a client may send, each refused with a coded error before it
// costs much: body size and shape at the HTTP layer, query size and shape at
// GraphQL validation (GraphQL Armor). Image bytes, pixels and formats are
// checked where images are decoded (services/imageService.ts, embedding/preprocess.ts).
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { GraphQLError, visit, type DocumentNode, type ParseOptions, type ValidationRule } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_FIRST } from '../errors.js';

/** A 10 MiB image is 14 MiB as base64; the rest of a request is small. */
export const MAX_BODY_BYTES = 15 * 1024 * 1024;

export const QUERY_LIMITS = {
  /** Deepest legitimate query: images { edges { node { similar { image { similar { image { id } } } } } } }. */
  maxDepth: 10,
  maxAliases: 10,
  /** Fields answered, nested lists counted `first` times: similarWords(first: 100) { word { similar(first: 100) } } is 10,000+. */
  maxCost: 5000,
  maxTokens: 1000,
  maxDirectives: 10,
} as const;

interface HttpErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

const errorBody = (code: string, message: string): HttpErrorBody => ({ errors: [{ message, extensions: { code } }] });

export interface QueryProtection {
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
  plugins: ApolloServerPlugin[];
}

/**
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
    validationRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    // Armor's types come from Apollo's CommonJS build; the plugin objects are the same.
    plugins: [...(plugins as unknown as ApolloServerPlugin[]), costLimit, rejectNulCharacters],
  };
}

/**
 * A field with `first` answers up to `first` items, each costing its selection.
 * A `first` above the maximum is left to the service's clearer message.
 */
const firstMultiplies: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === 'number' && args.first > 0
    ? 1 + Math.min(args.first, MAX_FIRST) * Math.max(1, childComplexity)
    : undefined;

const costLimit: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema }) {
        let cost: number;
        try {
          cost = getComplexity({
            schema,
            query: document,
            variables: request.variables ?? {},
            operationName: request.operationName ?? undefined,
            estimators: [firstMultiplies, simpleEstimator({ defaultComplexity: 1 })],
          });
        } catch {
          return; // Bad variables: execution reports them with their own message.
        }
        if (cost > QUERY_LIMITS.maxCost) {
          throw new GraphQLError(
            `the query is too expensive: cost ${cost}, at most ${QUERY_LIMITS.maxCost} ` +
              `(fields answered, nested lists counted 'first' times): ask for smaller 'first' or fewer nested lists`,
            { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
          );
        }
      },
    };
  },
};

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.values(value).some(hasNul);
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

/**
 * POST bodies must be JSON. Without this, a text/plain body reaches Apollo
 * with no parsed body and answers 500.
 */
const requireJson: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST' || req.is('application/json')) return next();
  res
    .status(415)
    .json(errorBody('UNSUPPORTED_MEDIA_TYPE', `send GraphQL requests as JSON (content-type: application/json), got '${req.get('content-type') ?? 'none'}'`));
};

/** Body parser errors (too large, malformed JSON, bad charset) as JSON GraphQL errors. */
const bodyErrors: ErrorRequestHandler = (err: { type?: string; status?: number; message?: string }, _req, res, next) => {
  if (res.headersSent) return next(err);
  switch (err.type) {
    case 'entity.too.large':
      res
        .status(413)
        .json(errorBody('PAYLOAD_TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes: send images up to 10 MiB`));
      return;
    case 'entity.parse.failed':
      res.status(400).json(errorBody('BAD_REQUEST', `the request body is not valid JSON: ${err.message ?? 'parse error'}`));
      return;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      res.status(415).json(errorBody('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'unsupported encoding'));
      return;
    default:
      next(err);
  }
};

/** In front of /graphql: JSON only, size-limited, parser failures as coded JSON errors. */
export function graphqlBodyGuards(): (RequestHandler | ErrorRequestHandler)[] {
  return [requireJson, express.json({ limit: MAX_BODY_BYTES }), bodyErrors];
}

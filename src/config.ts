// The one place that reads the environment. Everything else receives a typed,
// validated Config object.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** The defaults, for servers started without a Config (tests of the HTTP layer). */
export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = { minBytesPerSecond: 16 * 1024 };
export const DEFAULT_THUMBNAIL_CACHE_BYTES = 64 * 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();
/** pgvector refuses an hnsw.ef_search above 1000 on every query: refused at start instead. */
const efSearch = positiveInt.max(1000, 'pgvector accepts 1 to 1000');
/** An unset or blank value is undefined. */
const trimmedOptional = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.string().url().optional());

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalUrl.optional(),
  DATABASE_READ_URL: optionalUrl.optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  DATA_DIR: z.string().default('./data'),
  ASSETS_DIR: z.string().optional(),
  ASSETS_BASE_URL_PASCAL: z.string().url().default('http://vision.cs.uiuc.edu/pascal-sentences/'),
  ASSETS_BASE_URL_MOBILENET: z
    .string()
    .url()
    .default('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/'),
  ASSETS_BASE_URL_FLICKR8K: z.string().url().default('https://github.com/jbrownlee/Datasets/releases/download/Flickr8k/'),
  // The reference set the seed loads after the store is ready (README, "The reference set"); none: no reference photos.
  REFERENCE_SET: z.enum(['flickr8k', 'none']).default('flickr8k'),
  ASSETS_DOWNLOAD: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  // 0 means "all 341,479 GloVe words". Unset: all words on a PostgreSQL server,
  // the 100,000 most frequent on the embedded store (a first start in ~1 minute).
  WORDS_LIMIT: z.coerce.number().int().min(0).optional(),
  // A GloVe file in the wink JSON format; default: the npm package's.
  GLOVE_FILE: z.string().optional(),
  // Unset: the store's default, which goes with its word index parameters (WORD_INDEX).
  WORD_EF_SEARCH: efSearch.optional(),
  IMAGE_EF_SEARCH: efSearch.default(100),
  // Tags come from the N most frequent alphabetic non-stop GloVe words.
  TAG_VOCABULARY_SIZE: positiveInt.default(10_000),
  // Epochs of the image → word model; unset: the default recipe's.
  TRAIN_EPOCHS: positiveInt.optional(),
  IMAGES_LIMIT: z.coerce.number().int().min(0).default(0),
  EMBED_WORKERS: z.coerce.number().int().min(0).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  // Unset: JSON lines in production, readable lines otherwise.
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  // Comma-separated origins (https://app.example.com) or '*'; unset: same-origin only.
  CORS_ORIGINS: z.string().optional(),
  METRICS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  // Set: GET /metrics needs `Authorization: Bearer <token>`.
  METRICS_TOKEN: trimmedOptional,
  // `npm run bench` against an already running server instead of an in-process one.
  BENCH_URL: optionalUrl.optional(),
  // `npm run import -- --url URL` sends it as `Authorization: Bearer <token>` (the server's WRITE_TOKENS).
  SEMSEARCH_TOKEN: trimmedOptional,
  // How long a question may take (ms), from its body's arrival: past it, it is stopped and answered TIMEOUT.
  REQUEST_TIME_BUDGET_MS: positiveInt.default(2_000),
  // Comma-separated bearer tokens; set, every mutation needs one of them.
  WRITE_TOKENS: z.string().optional(),
  // Production without WRITE_TOKENS refuses mutations unless this is 'true'.
  ALLOW_ANONYMOUS_WRITES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  // An upload keeps its slot only while its body arrives at least this fast (bytes/s, after a first second).
  UPLOAD_MIN_BYTES_PER_SECOND: positiveInt.default(DEFAULT_UPLOAD_SETTINGS.minBytesPerSecond),
  // Thumbnails kept by photo and width, in MiB of memory (0: none kept).
  THUMBNAIL_CACHE_MB: z.coerce.number().int().min(0).default(DEFAULT_THUMBNAIL_CACHE_BYTES / (1024 * 1024)),
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';
/** Browser origins allowed to call the API: '*' for any, none for same-origin only. */
export type CorsOrigins = '*' | string[];

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  database:
    | { kind: 'pglite'; dataDir: string }
    | { kind: 'postgres'; url: string; readUrl?: string; poolSize: number };
  dataDir: string;
  assets: {
    dir: string;
    download: boolean;
    pascalBaseUrl: string;
    mobilenetBaseUrl: string;
    /** Where Flickr8k_Dataset.zip and Flickr8k_text.zip are, for an online machine without the prepared reference set. */
    flickr8kBaseUrl: string;
  };
  /** The reference set the seed loads once the four questions are ready; 'none': no reference photos. */
  referenceSet: 'flickr8k' | 'none';
  words: { limit: number; efSearch: number; gloveFile?: string };
  images: { limit: number; efSearch: number };
  wordSpace: { wordModelDir: string; tagVocabularySize: number; epochs?: number };
  embedWorkers: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  corsOrigins: CorsOrigins;
  /** GET /metrics: served when enabled, to holders of `token` when one is set. */
  metrics: { enabled: boolean; token?: string };
  benchUrl?: string;
  /** The token this machine's tools send to a server that protects writes (SEMSEARCH_TOKEN). */
  clientToken?: string;
  /** Who may call mutations: `tokens` empty means no token is configured. */
  writes: { tokens: string[]; allowAnonymous: boolean };
  /** A question's time budget in ms (mutations have none). */
  requestTimeBudgetMs: number;
  uploads: UploadSettings;
  /** Bytes of thumbnails kept in memory, by photo and width. */
  thumbnailCacheBytes: number;
}

/** How an upload (image bytes in a body) must arrive to keep its slot. */
export interface UploadSettings {
  /** Bytes per second, measured over the last few seconds, below which the upload gets 408. */
  minBytesPerSecond: number;
}


export const ALL_WORDS = 0;
const EMBEDDED_DEFAULT_WORDS_LIMIT = 100_000;
/**
 * Word ef_search for recall@10 >= 0.98 with the store's WORD_INDEX (docs/word-index.md):
 * the server's m=24/128 reaches 0.986 on 341k words at 200; two builds of the
 * embedded store's m=16/40 reached 0.993 and 0.986 on its 100k at 400 (at 200,
 * 0.991 and 0.982: too close to the goal).
 */
const DEFAULT_WORD_EF_SEARCH = { postgres: 200, pglite: 400 } as const;

/** The first of these that holds the assets; else where downloads go. */
function defaultAssetsDir(dataDir: string): string {
  const candidates = [path.resolve('../shared/assets'), path.resolve(dataDir, 'assets')];
  return candidates.find((dir) => existsSync(dir)) ?? path.resolve(dataDir, 'assets');
}

/** What an HTTP Authorization header can carry after 'Bearer '. */
const SENDABLE_TOKEN = /^[\x21-\x7e]+$/;

/**
 * WRITE_TOKENS as a list. The messages name a token by its position only:
 * a token never appears in a log or an error.
 */
function parseWriteTokens(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const tokens = value.split(',').map((token) => token.trim());
  const problems = tokens.flatMap((token, i) => {
    const which = `token ${i + 1} of ${tokens.length}`;
    if (token === '') return [`WRITE_TOKENS: ${which} is empty`];
    if (!SENDABLE_TOKEN.test(token)) return [`WRITE_TOKENS: ${which} has a space or a character outside printable ASCII`];
    return [];
  });
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return tokens;
}

/**
 * CORS_ORIGINS as a list of origins, each as a browser sends it in its Origin
 * header (scheme://host[:port], no path), or '*'.
 */
function parseCorsOrigins(value: string | undefined): CorsOrigins {
  if (value === undefined || value.trim() === '') return [];
  if (value.trim() === '*') return '*';
  const origins = value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
  const problems = origins.flatMap((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      // Reported below.
    }
    const isOrigin = url !== undefined && /^https?:$/.test(url.protocol) && url.origin === origin.replace(/\/$/, '');
    return isOrigin ? [] : [`CORS_ORIGINS: '${origin}' is not an origin like https://app.example.com (scheme, host, optional port; no path)`];
  });
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return origins.map((origin) => origin.replace(/\/$/, ''));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const database: Config['database'] = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL, readUrl: e.DATABASE_READ_URL, poolSize: e.DATABASE_POOL_SIZE }
    : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') };
  // Read only when the words are seeded: a wrong path must stop the start, not the seed later.
  if (e.GLOVE_FILE && !existsSync(e.GLOVE_FILE)) {
    throw new Error(`Invalid configuration:\n  GLOVE_FILE: no file at ${path.resolve(e.GLOVE_FILE)}`);
  }
  if (e.METRICS_TOKEN && !SENDABLE_TOKEN.test(e.METRICS_TOKEN)) {
    throw new Error('Invalid configuration:\n  METRICS_TOKEN has a space or a character outside printable ASCII');
  }
  if (e.DATABASE_READ_URL && !e.DATABASE_URL) {
    throw new Error('Invalid configuration:\n  DATABASE_READ_URL needs DATABASE_URL (the primary for writes)');
  }
  const wordsLimit = e.WORDS_LIMIT ?? (database.kind === 'pglite' ? EMBEDDED_DEFAULT_WORDS_LIMIT : ALL_WORDS);
  const wordEfSearch = e.WORD_EF_SEARCH ?? DEFAULT_WORD_EF_SEARCH[database.kind];
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    database,
    dataDir,
    assets: {
      dir: e.ASSETS_DIR ? path.resolve(e.ASSETS_DIR) : defaultAssetsDir(dataDir),
      download: e.ASSETS_DOWNLOAD,
      pascalBaseUrl: e.ASSETS_BASE_URL_PASCAL,
      mobilenetBaseUrl: e.ASSETS_BASE_URL_MOBILENET,
      flickr8kBaseUrl: e.ASSETS_BASE_URL_FLICKR8K,
    },
    referenceSet: e.REFERENCE_SET,
    words: { limit: wordsLimit, efSearch: wordEfSearch, gloveFile: e.GLOVE_FILE && path.resolve(e.GLOVE_FILE) },
    images: { limit: e.IMAGES_LIMIT, efSearch: e.IMAGE_EF_SEARCH },
    wordSpace: {
      wordModelDir: path.join(dataDir, 'models', 'word-projector'),
      tagVocabularySize: e.TAG_VOCABULARY_SIZE,
      epochs: e.TRAIN_EPOCHS,
    },
    embedWorkers: e.EMBED_WORKERS ?? Math.max(1, availableParallelism() - 1),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    metrics: { enabled: e.METRICS, token: e.METRICS_TOKEN },
    benchUrl: e.BENCH_URL,
    clientToken: e.SEMSEARCH_TOKEN,
    writes: { tokens: parseWriteTokens(e.WRITE_TOKENS), allowAnonymous: e.ALLOW_ANONYMOUS_WRITES },
    requestTimeBudgetMs: e.REQUEST_TIME_BUDGET_MS,
    uploads: { minBytesPerSecond: e.UPLOAD_MIN_BYTES_PER_SECOND },
    thumbnailCacheBytes: e.THUMBNAIL_CACHE_MB * 1024 * 1024,
  };
}

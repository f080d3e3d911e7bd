// The two places `npm run import` stores into: the store itself, through the
// image service (as addImage does, with batch embedding), or a running server,
// through its API's addImage.
import { QUERY_LIMITS } from '../http/limits.js';
import { sha256 } from '../lib/hash.js';
import type { ImageService } from '../services/imageService.js';
import { uploadId, type NewUpload } from '../services/imageWriter.js';
import type { ImportSink, SinkOutcome } from './importJob.js';

/** `reference`: the photos are stored as reference photos (each needs captions, or is refused with the reason). */
export function storeSink(images: ImageService, reference = false): ImportSink {
  return {
    async add(uploads) {
      const outcomes = await images.addImages(uploads, { origin: 'import', bounded: false, reference });
      return outcomes.map((outcome) => (outcome.status === 'refused' ? outcome : { status: outcome.status, id: outcome.image.id }));
    },
  };
}

/** The server refused every write (no or a wrong token, or writes switched off): nothing more can be sent. */
export class ImportRefusedError extends Error {
  override name = 'ImportRefusedError';
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: AnswerError[];
}

type AnswerError = { message: string; extensions?: { code?: string; writesDisabled?: boolean; retryAfterSeconds?: number } };

/** The server's own words, and what to change on this side when it is the token. */
function refusal(code: string, error: AnswerError, token: string | undefined): string {
  const wrongToken = code === 'FORBIDDEN' && token !== undefined && !error.extensions?.writesDisabled;
  const hint =
    code === 'UNAUTHENTICATED'
      ? ' Set SEMSEARCH_TOKEN to one of its WRITE_TOKENS.'
      : wrongToken
        ? ' SEMSEARCH_TOKEN is not one of its WRITE_TOKENS.'
        : '';
  return `the server refused to store images (${code}): ${error.message}${hint}`;
}

export interface ApiSinkOptions {
  /** The server's base URL (http://host:port) or its /graphql endpoint. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set (the server's WRITE_TOKENS). */
  token?: string;
  /** Requests at once: the server batches concurrent uploads for its embedding workers. */
  concurrency?: number;
}

const ADD_IMAGE = `mutation ($image: ImageInput!, $category: String, $captions: [String!]) {
  addImage(image: $image, category: $category, captions: $captions) { id } }`;
const WRITE_REFUSED = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);
/** OVERLOADED (503): waits what Retry-After says, within these bounds, at most this many times per photo. */
const OVERLOADED_RETRIES = 20;
const MIN_RETRY_SECONDS = 0.5;
const MAX_RETRY_SECONDS = 30;

/**
 * Seconds to wait before sending again: the server's Retry-After (or the
 * same number in the body), bounded, and spread by up to a half so clients
 * refused together do not all come back in the same instant.
 */
export function retryDelaySeconds(retryAfter: string | null, error: AnswerError | undefined, random = Math.random()): number {
  const said = Number(retryAfter ?? error?.extensions?.retryAfterSeconds);
  const seconds = Number.isFinite(said) && said > 0 ? said : 1;
  return Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, seconds)) * (1 + random / 2);
}

export function apiSink(options: ApiSinkOptions): ImportSink {
  const endpoint = options.url.replace(/\/+$/, '').replace(/(\/graphql)?$/, '/graphql');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  async function post<T>(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<GraphQLAnswer<T> & { status: number; retryAfter: string | null }> {
    let response: Response;
    try {
      response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    } catch (err) {
      throw new Error(`cannot reach ${endpoint}: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as GraphQLAnswer<T>;
    return { ...body, status: response.status, retryAfter: response.headers.get('retry-after') };
  }

  /** Which of these content hashes the server stores as uploads already: not sent again. */
  async function storedUploads(hashes: string[]): Promise<Set<string>> {
    const stored = new Set<string>();
    // One request asks for as many images as the server allows aliases in a query.
    for (let start = 0; start < hashes.length; start += QUERY_LIMITS.maxAliases) {
      const chunk = hashes.slice(start, start + QUERY_LIMITS.maxAliases);
      const fields = chunk.map((hash, i) => `i${i}: image(id: ${JSON.stringify(uploadId(hash))}) { id }`);
      const answer = await post<Record<string, { id: string } | null>>(`{ ${fields.join(' ')} }`, {});
      if (!answer.data) throw new Error(`${endpoint} answered ${answer.errors?.[0]?.message ?? `HTTP ${answer.status}`}`);
      chunk.forEach((hash, i) => answer.data![`i${i}`] && stored.add(hash));
    }
    return stored;
  }

  async function addOne(upload: NewUpload, hash: string): Promise<SinkOutcome> {
    const variables = {
      image: { base64: Buffer.from(upload.bytes).toString('base64') },
      category: upload.category ?? null,
      captions: upload.captions ?? null,
    };
    for (let attempt = 0; ; attempt++) {
      const answer = await post<{ addImage: { id: string } }>(ADD_IMAGE, variables);
      const error = answer.errors?.[0];
      const code = error?.extensions?.code;
      if (answer.data?.addImage) {
        // Another id than an upload's: the same bytes are stored as a dataset image.
        const id = answer.data.addImage.id;
        return { status: id === uploadId(hash) ? 'added' : 'present', id };
      }
      if (code === 'OVERLOADED' && attempt < OVERLOADED_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, retryDelaySeconds(answer.retryAfter, error) * 1000));
        continue;
      }
      if (code && WRITE_REFUSED.has(code)) throw new ImportRefusedError(refusal(code, error!, options.token));
      if (code === 'BAD_USER_INPUT' || code === 'PAYLOAD_TOO_LARGE') {
        return { status: 'refused', reason: error!.message.replace(/^'image\.base64' is /, '') };
      }
      throw new Error(`${endpoint} answered ${error?.message ?? `HTTP ${answer.status}`}`);
    }
  }

  const concurrency = options.concurrency ?? 4;
  return {
    async add(uploads) {
      const hashes = uploads.map((upload) => sha256(upload.bytes));
      const stored = await storedUploads(hashes);
      const outcomes: SinkOutcome[] = new Array(uploads.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < uploads.length; i = next++) {
          outcomes[i] = stored.has(hashes[i]!)
            ? { status: 'present', id: uploadId(hashes[i]!) }
            : await addOne(uploads[i]!, hashes[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, uploads.length) }, worker));
      return outcomes;
    },
  };
}

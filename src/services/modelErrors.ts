// The model layer's typed errors as the client errors they mean.
import { ImageDecodeError, ImageQueueFullError, ModelNotTrainedError, type Embedder } from '../embedding/index.js';
import { HeaderMap } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { badInput, clientError } from '../errors.js';

/**
 * Every OVERLOADED answer is made here (a full embedding queue, too many
 * uploads arriving at once): HTTP 503 with Retry-After (GraphQL clients read
 * the status), and the same seconds in `extensions.retryAfterSeconds`.
 */
export function overloaded(busyWith: string, seconds: number): GraphQLError {
  return clientError('OVERLOADED', `The server is busy ${busyWith}; retry in ${seconds} s.`, {
    retryAfterSeconds: seconds,
    http: { status: 503, headers: new HeaderMap([['retry-after', String(seconds)]]) },
  });
}

/** `argument` names the input the bytes came from, for the message. */
export function toClientError(err: unknown, argument = 'image.base64'): unknown {
  if (err instanceof ImageDecodeError) return badInput(`'${argument}' is ${err.message}`);
  if (err instanceof ModelNotTrainedError) return clientError('SERVICE_UNAVAILABLE', `Try again later: ${err.message}`);
  if (err instanceof ImageQueueFullError) return overloaded(`embedding ${err.queued} images`, err.retryAfterSeconds);
  return err;
}

/** Refuses a new image with OVERLOADED now, before its bytes are decoded, when the embedding queue is full. */
export function admitImage(embedder: Embedder): void {
  try {
    embedder.admitImage();
  } catch (err) {
    throw toClientError(err);
  }
}

/** Runs model work, answering its failures as client errors. */
export async function modelCall<T>(work: Promise<T>, argument?: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw toClientError(err, argument);
  }
}

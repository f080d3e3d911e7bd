// The model layer's typed errors as the client errors they mean.
import { ImageDecodeError, ImageQueueFullError, ModelNotTrainedError, type Embedder } from '../embedding/index.js';
import { outsideBudget } from '../db/requestScope.js';
import { badInput, ClientError } from '../errors.js';

/** Counts what is refused for load rather than for the request itself (the metrics). */
export interface ModelRefusals {
  overloaded(): void;
}

/**
 * Every OVERLOADED refusal is made here (a full embedding queue, too many
 * uploads arriving at once), and counted in `refusals`; `seconds` is when a
 * retry may succeed.
 */
export function overloaded(busyWith: string, seconds: number, refusals?: ModelRefusals): ClientError {
  refusals?.overloaded();
  return new ClientError('OVERLOADED', `The server is busy ${busyWith}; retry in ${seconds} s.`, { retryAfterSeconds: seconds });
}

/** `argument` names the input the bytes came from, for the message; `refusals` counts OVERLOADED. */
export function toClientError(err: unknown, argument = 'image.base64', refusals?: ModelRefusals): unknown {
  if (err instanceof ImageDecodeError) return badInput(`'${argument}' is ${err.message}`);
  if (err instanceof ModelNotTrainedError) return new ClientError('SERVICE_UNAVAILABLE', `Try again later: ${err.message}`);
  if (err instanceof ImageQueueFullError) return overloaded(`embedding ${err.queued} images`, err.retryAfterSeconds, refusals);
  return err;
}

/** Refuses a new image with OVERLOADED now, before its bytes are decoded, when the embedding queue is full. */
export function admitImage(embedder: Embedder, refusals?: ModelRefusals): void {
  try {
    embedder.admitImage();
  } catch (err) {
    throw toClientError(err, undefined, refusals);
  }
}

/** Runs model work outside the request's time budget, answering its failures as client errors. */
export async function modelCall<T>(work: Promise<T>, refusals?: ModelRefusals, argument?: string): Promise<T> {
  try {
    return await outsideBudget(work);
  } catch (err) {
    throw toClientError(err, argument, refusals);
  }
}

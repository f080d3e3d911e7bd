// The model layer's typed errors as the client errors they mean.
import { ImageDecodeError, ImageQueueFullError, ModelNotTrainedError } from '../embedding/index.js';
import { badInput, clientError } from '../errors.js';

/** Counts what is refused for load rather than for the request itself (the metrics). */
export interface ModelRefusals {
  overloaded(): void;
}

/** `argument` names the input the bytes came from, for the message; `refusals` counts OVERLOADED. */
export function toClientError(err: unknown, argument = 'image.base64', refusals?: ModelRefusals): unknown {
  if (err instanceof ImageDecodeError) return badInput(`'${argument}' is ${err.message}`);
  if (err instanceof ModelNotTrainedError) return clientError('SERVICE_UNAVAILABLE', `Try again later: ${err.message}`);
  if (err instanceof ImageQueueFullError) {
    refusals?.overloaded();
    return clientError('OVERLOADED', `The server is busy embedding ${err.queued} images; retry in a few seconds.`);
  }
  return err;
}

/** Runs model work, answering its failures as client errors. */
export async function modelCall<T>(work: Promise<T>, refusals?: ModelRefusals, argument?: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw toClientError(err, argument, refusals);
  }
}

// The model layer's typed errors as the client errors they mean.
import { ImageDecodeError, ImageQueueFullError, ModelNotTrainedError } from '../embedding/index.js';
import { badInput, clientError } from '../errors.js';

/** `argument` names the input the bytes came from, for the message. */
export function toClientError(err: unknown, argument = 'image.base64'): unknown {
  if (err instanceof ImageDecodeError) return badInput(`'${argument}' is ${err.message}`);
  if (err instanceof ModelNotTrainedError) return clientError('SERVICE_UNAVAILABLE', `Try again later: ${err.message}`);
  if (err instanceof ImageQueueFullError) {
    return clientError('OVERLOADED', `The server is busy embedding ${err.queued} images; retry in a few seconds.`);
  }
  return err;
}

/** Runs model work, answering its failures as client errors. */
export async function modelCall<T>(work: Promise<T>, argument?: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw toClientError(err, argument);
  }
}

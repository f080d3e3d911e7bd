// A worker thread that embeds images, so TensorFlow.js never runs on the event
// loop that answers queries. Messages: { id, images } in, { id, results } out,
// one result (features and what the header said, or an error) per image.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ImageDecodeError, loadImageModel } from './imageEmbedding.js';
import type { EmbeddedImage } from './imageModelSpec.js';

export interface EmbedRequest {
  id: number;
  images: Uint8Array[];
}

export type EmbedResult = { embedded: EmbeddedImage } | { error: { name: string; message: string } };

export interface EmbedResponse {
  id: number;
  results: EmbedResult[];
}

const { modelDir } = workerData as { modelDir: string };

/**
 * Queries come first: on Linux the nice value belongs to the thread, so this
 * lowers the CPU priority of this embedding thread only, not of the event
 * loop that answers queries or of the database. Uploads wait a little longer
 * on a busy machine; word queries keep their latency while uploads run.
 */
const EMBEDDING_NICENESS = 10;
try {
  setPriority(EMBEDDING_NICENESS);
} catch {
  // Not permitted here (or not supported): embed at normal priority.
}
const port = parentPort!;

const failure = (err: unknown): EmbedResult => ({
  error: { name: err instanceof ImageDecodeError ? 'ImageDecodeError' : 'Error', message: (err as Error).message },
});

try {
  const model = await loadImageModel(modelDir);
  port.on('message', async ({ id, images }: EmbedRequest) => {
    let results: EmbedResult[];
    try {
      results = (await model.embedImages(images)).map((embedded) => ({ embedded }));
    } catch {
      // One unreadable image fails the batch: embed one by one to answer each,
      // in turn: libvips keeps one error buffer, and two decodes failing at
      // the same moment can lose each other's reason.
      results = [];
      for (const bytes of images) results.push(await model.embedImage(bytes).then((embedded) => ({ embedded }), failure));
    }
    port.postMessage({ id, results } satisfies EmbedResponse);
  });
  port.postMessage({ ready: true, backend: model.backend });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
}

// The embedded database on its own thread. PGlite runs PostgreSQL compiled to
// WebAssembly synchronously on the thread that calls it: on the server's main
// thread, a long statement (the word index build, 100 s) would stop every
// request, health probes included. Here it only stops this thread.
// Messages: { id, bytes } (frontend protocol) in, { id, bytes } (backend
// protocol) out; { close: true } closes the store and answers { closed: true }.
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { concatBytes } from './bytes.js';

const { dataDir } = workerData as { dataDir: string };
const port = parentPort!;

try {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir, { extensions: { vector } });
  let queue = Promise.resolve();
  port.on('message', (message: { id: number; bytes: Uint8Array } | { close: true }) => {
    if ('close' in message) {
      queue = queue.then(async () => {
        await pglite.close();
        port.postMessage({ closed: true });
      });
      return;
    }
    // One statement at a time, in the order they were sent.
    queue = queue.then(async () => {
      try {
        // The raw stream, not execProtocolRaw: that one also parses every
        // answer into a list PGlite never empties outside execProtocolStream
        // (about 9 KB kept per query, measured).
        const chunks: Uint8Array[] = [];
        await pglite.execProtocolRawStream(message.bytes, { onRawData: (chunk) => chunks.push(chunk.slice()) });
        const bytes = concatBytes(chunks);
        port.postMessage({ id: message.id, bytes }, [bytes.buffer]);
      } catch (err) {
        port.postMessage({ id: message.id, error: (err as Error).message });
      }
    });
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
}

// A `pg` connection to the embedded database running on its own thread
// (pgliteWorker.ts), so that the server's event loop keeps answering while
// PGlite works. It stands in for `pg`'s socket connection the way PGlite's own
// node-postgres adapter does, but carries the wire protocol to the worker:
// frontend messages are collected until a Sync, Flush or simple Query and sent
// in one message; the backend's answer is parsed back into `pg`'s events.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { serialize } from 'pg-protocol';
import { startSiblingWorker } from '../lib/workerThreads.js';
import { concatBytes } from './bytes.js';

// pg-protocol's incremental parser is not among its package exports; it is the
// one `pg` itself uses.
const requireFromHere = createRequire(import.meta.url);
const { Parser } = requireFromHere(path.join(path.dirname(requireFromHere.resolve('pg-protocol')), 'parser.js')) as {
  Parser: new () => { parse(buffer: Buffer, callback: (message: { name: string }) => void): void };
};

type Reply = { id: number; bytes?: Uint8Array; error?: string };

/** The worker that owns the embedded database, and request/answer plumbing to it. */
export class PgliteWorkerStore {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(bytes: Uint8Array): void; reject(err: Error): void }>();
  private closed?: Promise<void>;

  constructor(readonly dataDir: string) {
    this.worker = startSiblingWorker(import.meta.url, 'pgliteWorker', { workerData: { dataDir } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (message: { ready?: true; failed?: string }) =>
        message.ready ? resolve() : reject(new Error(`the embedded database did not open: ${message.failed}`)),
      );
      this.worker.once('error', reject);
    });
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.bytes) waiting.resolve(reply.bytes);
      else waiting.reject(new Error(reply.error ?? 'the embedded database gave no answer'));
    });
    this.worker.on('error', (err) => {
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    });
  }

  /** Frontend protocol bytes in (handed over: `bytes` must own its buffer), backend protocol bytes out. */
  exec(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, bytes }, [bytes.buffer]);
    });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.ready.catch(() => undefined);
      const closed = new Promise<void>((resolve) =>
        this.worker.on('message', (message: { closed?: true }) => message.closed && resolve()),
      );
      this.worker.postMessage({ close: true });
      await closed;
      await this.worker.terminate();
    })();
    return this.closed;
  }

  /** A `pg` pool config whose single connection talks to this worker. */
  pgConfig() {
    return { connection: new WorkerConnection(this), user: 'postgres', database: 'postgres', host: 'localhost' };
  }
}

/** The parts of `pg`'s Connection that its Client uses, over the worker. */
class WorkerConnection extends EventEmitter {
  _connecting = false;
  readonly stream = { destroy: () => this.end() };
  parsedStatements: Record<string, string> = {};
  submittedNamedStatements: Record<string, string> = {};
  private outgoing: Buffer[] = [];
  private chain: Promise<void>;
  private readonly parser = new Parser();

  constructor(private readonly store: PgliteWorkerStore) {
    super();
    this.chain = store.ready;
  }

  async connect() {
    this._connecting = true;
    await this.store.ready;
    process.nextTick(() => this.emit('readyForQuery'));
  }

  requestSsl() {}
  startup() {}
  cancel() {}
  password() {}
  ref() {}
  unref() {}

  query(text: string) {
    this.send(serialize.query(text), true);
  }
  parse(config: Parameters<typeof serialize.parse>[0]) {
    this.send(serialize.parse(config));
  }
  bind(config: Parameters<typeof serialize.bind>[0]) {
    this.send(serialize.bind(config));
  }
  execute(config: Parameters<typeof serialize.execute>[0]) {
    this.send(serialize.execute(config));
  }
  describe(config: Parameters<typeof serialize.describe>[0]) {
    this.send(serialize.describe(config));
  }
  close(config: Parameters<typeof serialize.close>[0]) {
    this.send(serialize.close(config));
  }
  flush() {
    this.send(serialize.flush(), true);
  }
  sync() {
    this.send(serialize.sync(), true);
  }
  sendCopyFromChunk(chunk: Buffer) {
    this.send(serialize.copyData(chunk));
  }
  endCopyFrom() {
    this.send(serialize.copyDone(), true);
  }
  sendCopyFail(message: string) {
    this.send(serialize.copyFail(message), true);
  }

  end() {
    this.chain = this.chain.then(() => {
      this.emit('end');
    });
    for (const event of this.eventNames()) if (event !== 'newListener') this.removeAllListeners(event);
  }

  /** Collects messages; a Sync, Flush or simple query sends them, in one round trip to the worker. */
  private send(bytes: Buffer, now = false) {
    this.outgoing.push(bytes);
    if (!now) return;
    const batch = concatBytes(this.outgoing);
    this.outgoing = [];
    this.chain = this.chain
      .then(() => this.store.exec(batch))
      .then((answer) =>
        this.parser.parse(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength), (message) => {
          this.emit('message', message);
          this.emit(message.name === 'error' ? 'errorMessage' : message.name, message);
        }),
      )
      .catch((err: Error) => {
        this.emit('error', err);
      });
  }
}

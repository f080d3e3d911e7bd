// Image embedding in worker threads: a bounded queue handed out in batches.
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../lib/workerThreads.js';
import type { EmbeddedImage } from './imageModelSpec.js';
import type { EmbedResult } from './imageWorker.js';
import { ImageDecodeError } from './preprocess.js';

/** More images are waiting than the queue holds: a caller should retry in about `retryAfterSeconds`. */
export class ImageQueueFullError extends Error {
  override name = 'ImageQueueFullError';
  constructor(
    readonly queued: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`${queued} images are waiting to be embedded`);
  }
}

/** Seconds an image took before any was measured (a MobileNet pass on wasm, in a batch). */
const INITIAL_SECONDS_PER_IMAGE = 0.1;
/** Weight of the newest batch in the running estimate. */
const RATE_SMOOTHING = 0.3;
const MAX_RETRY_AFTER_SECONDS = 30;

export interface ImageEmbeddingPoolOptions {
  size: number;
  modelDir: string;
  /** Images waiting at most; beyond it a request is refused with ImageQueueFullError. */
  maxQueue: number;
  /** Images handed to a worker at once (one model call). */
  maxBatch: number;
}

interface Pending {
  bytes: Uint8Array;
  resolve(embedded: EmbeddedImage): void;
  reject(err: Error): void;
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
  /** Ended once its batch is done (the pool was made smaller). */
  retiring?: boolean;
}

/**
 * Image embedding in worker threads: concurrent requests queue up and are
 * handed to the next free worker in batches; a full queue refuses at once.
 */
export class ImageEmbeddingPool {
  private readonly queue: Pending[] = [];
  private readonly workers: PoolWorker[] = [];
  /** Every worker thread, ready or still loading its model: close() ends them all. */
  private readonly threads = new Set<Worker>();
  private closed = false;
  private readonly inFlight = new Map<number, { batch: Pending[]; startedAt: number }>();
  /** Running estimate of one worker's seconds per image, from the batches done. */
  private secondsPerImage = INITIAL_SECONDS_PER_IMAGE;
  private nextId = 0;
  private ready: Promise<void> | undefined;
  private size: number;

  constructor(private readonly options: ImageEmbeddingPoolOptions) {
    this.size = options.size;
  }

  /**
   * More or fewer workers from now on (seeding uses every core, serving leaves
   * one to the event loop): new ones start, surplus ones end once idle.
   */
  resize(size: number): void {
    this.size = Math.max(1, size);
    if (this.closed || !this.ready) return;
    const live = this.threads.size - this.workers.filter((entry) => entry.retiring).length;
    for (let i = live; i < this.size; i++) void this.startWorker().catch(() => undefined);
    let surplus = live - this.size;
    for (const entry of this.workers) {
      if (surplus <= 0) break;
      if (entry.retiring) continue;
      entry.retiring = true;
      surplus--;
      if (!entry.busy) this.retire(entry);
    }
  }

  private retire(entry: PoolWorker): void {
    this.workers.splice(this.workers.indexOf(entry), 1);
    this.threads.delete(entry.worker);
    void entry.worker.terminate();
  }

  /** Starts the workers (once); resolves when every model is loaded. */
  start(): Promise<void> {
    this.ready ??= Promise.all(Array.from({ length: this.size }, () => this.startWorker())).then(
      () => undefined,
      (err) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  private startWorker(): Promise<void> {
    const worker = startSiblingWorker(import.meta.url, 'imageWorker', {
      workerData: { modelDir: this.options.modelDir },
    });
    const entry: PoolWorker = { worker, busy: true };
    this.threads.add(worker);
    worker.once('exit', () => this.threads.delete(worker));
    return new Promise((resolve, reject) => {
      worker.on('message', (message: { ready?: boolean; failed?: string; id?: number; results?: EmbedResult[] }) => {
        if (message.ready) {
          this.workers.push(entry);
          entry.busy = false;
          resolve();
          this.dispatch();
        } else if (message.failed) {
          reject(new Error(`image model failed to load in a worker: ${message.failed}`));
          void worker.terminate();
        } else if (message.id !== undefined) {
          this.settle(message.id, message.results!);
          entry.busy = false;
          if (entry.retiring) this.retire(entry);
          this.dispatch();
        }
      });
      worker.on('error', (err) => {
        reject(err);
        this.failWorker(entry, err);
      });
    });
  }

  /**
   * The one place a bounded request is refused: throws ImageQueueFullError,
   * with the time the queue needs to drain, when it is full. Callers ask it
   * before they decode a client's bytes, so a refusal costs next to nothing.
   */
  admit(): void {
    if (this.queue.length < this.options.maxQueue) return;
    const workers = Math.max(1, this.workers.length);
    const drainSeconds = (this.queue.length * this.secondsPerImage) / workers;
    throw new ImageQueueFullError(this.queue.length, Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(drainSeconds))));
  }

  embed(bytes: Uint8Array, bounded = true): Promise<EmbeddedImage> {
    if (this.closed) return Promise.reject(new Error('the image embedding pool is closed'));
    try {
      if (bounded) this.admit();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      void this.start().then(() => this.dispatch(), reject);
    });
  }

  /** For seeding: not bounded (the caller already batches), same order as given. */
  embedMany(images: readonly Uint8Array[]): Promise<EmbeddedImage[]> {
    return Promise.all(images.map((bytes) => this.embed(bytes, false)));
  }

  get queued(): number {
    return this.queue.length;
  }

  private dispatch(): void {
    for (const entry of this.workers) {
      if (this.queue.length === 0) return;
      if (entry.busy || entry.retiring) continue;
      const batch = this.queue.splice(0, this.options.maxBatch);
      const id = this.nextId++;
      this.inFlight.set(id, { batch, startedAt: performance.now() });
      entry.busy = true;
      // Copies: the caller keeps its bytes (e.g. to store them after embedding).
      entry.worker.postMessage({ id, images: batch.map((p) => Uint8Array.from(p.bytes)) });
    }
  }

  private settle(id: number, results: EmbedResult[]): void {
    const { batch, startedAt } = this.inFlight.get(id) ?? { batch: [], startedAt: performance.now() };
    this.inFlight.delete(id);
    if (batch.length > 0) {
      const perImage = (performance.now() - startedAt) / 1000 / batch.length;
      this.secondsPerImage += RATE_SMOOTHING * (perImage - this.secondsPerImage);
    }
    batch.forEach((pending, i) => {
      const result = results[i]!;
      if ('embedded' in result) pending.resolve(result.embedded);
      else if (result.error.name === 'ImageDecodeError') pending.reject(new ImageDecodeError(result.error.message));
      else pending.reject(new Error(result.error.message));
    });
  }

  /** A crashed worker fails its batch and is replaced. */
  private failWorker(entry: PoolWorker, err: Error): void {
    const index = this.workers.indexOf(entry);
    if (index < 0) return;
    this.workers.splice(index, 1);
    for (const [id, { batch }] of this.inFlight) {
      // Batches are not tagged by worker; a crash is rare enough to fail all in flight.
      batch.forEach((pending) => pending.reject(err));
      this.inFlight.delete(id);
    }
    if (!this.closed) void this.startWorker().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.workers.splice(0);
    await Promise.all([...this.threads].map((worker) => worker.terminate()));
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the image embedding pool is closed'));
  }
}

// Upload slots: the uploads being read, decoded or embedded, each counted
// from its headers to its answer. A slot is held only while its body keeps
// arriving at the rate floor (UPLOAD_MIN_BYTES_PER_SECOND): a slower sender
// is answered 408 and loses it, so a few trickling sockets cannot keep real
// uploads out for the 90 s a slow line may take. From the slots' progress
// comes how long until one frees: a refusal's Retry-After.
import type http from 'node:http';
import type { UploadSettings } from '../config.js';
import { MemoryRelease } from '../lib/memoryRelease.js';
import type { Logger } from '../logger.js';
import { MAX_BODY_BYTES } from './limits.js';
import { refuseSlowBody } from './timeouts.js';

/** The rate floor is measured over this many seconds (from the start while the upload is younger)... */
export const RATE_WINDOW_SECONDS = 5;
/** ...less this much slack: a body's first second (connection, TCP slow start) is free. */
export const RATE_GRACE_SECONDS = 1;
const CHECK_EVERY_MS = 250;
/** Retry-After is kept within these seconds. */
const RETRY_AFTER_RANGE = { min: 1, max: 30 } as const;

interface Slot {
  startedAt: number;
  /** Bytes the socket had read before this request's body: its headers and earlier requests. */
  baseline: number;
  socket: http.IncomingMessage['socket'];
  /** Content-Length; undefined for a chunked body. */
  declared?: number;
  /** [seconds since start, body bytes received], one per check, the last window's worth. */
  samples: [number, number][];
  /** When the whole body was in; undefined while it arrives. */
  bodyDoneAt?: number;
  watch?: NodeJS.Timeout;
}

const now = () => performance.now() / 1000;

export class UploadSlots {
  private readonly slots = new Set<Slot>();
  /** Seconds from a body's end to its answer (decode, embed, store), smoothed; a first guess until measured. */
  private handlingSeconds = 1;
  /** After the last upload of a burst: the memory of its bodies given back. */
  private readonly memory = new MemoryRelease();

  constructor(
    private readonly settings: UploadSettings,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Counts `req` in until its answer is sent or its connection closes, watching that its body keeps moving. */
  take(req: http.IncomingMessage, res: http.ServerResponse): void {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const slot: Slot = { startedAt: now(), baseline: req.socket.bytesRead, socket: req.socket, declared, samples: [[0, 0]] };
    this.slots.add(slot);
    const watch = setInterval(() => this.check(slot, req, res), CHECK_EVERY_MS);
    watch.unref();
    slot.watch = watch;
    const bodyDone = () => {
      clearInterval(watch);
      slot.bodyDoneAt ??= now();
    };
    if (req.complete) bodyDone();
    req.once('end', bodyDone);
    res.once('close', () => {
      clearInterval(watch);
      this.slots.delete(slot);
      if (slot.bodyDoneAt !== undefined && res.writableFinished) {
        this.handlingSeconds = 0.8 * this.handlingSeconds + 0.2 * (now() - slot.bodyDoneAt);
      }
      if (this.slots.size === 0) this.memory.burstEnded(() => this.slots.size > 0);
    });
  }

  /** Seconds until the first slot is likely to free: the least of each upload's bytes still to come at its rate, plus handling. */
  retryAfterSeconds(): number {
    let soonest = Infinity;
    for (const slot of this.slots) soonest = Math.min(soonest, this.secondsLeft(slot));
    const seconds = Number.isFinite(soonest) ? Math.ceil(soonest) : RETRY_AFTER_RANGE.min;
    return Math.min(RETRY_AFTER_RANGE.max, Math.max(RETRY_AFTER_RANGE.min, seconds));
  }

  private secondsLeft(slot: Slot): number {
    if (slot.bodyDoneAt !== undefined) return Math.max(0, this.handlingSeconds - (now() - slot.bodyDoneAt));
    const age = now() - slot.startedAt;
    const received = this.received(slot);
    const rate = Math.max(this.settings.minBytesPerSecond, age > 0.5 ? received / age : 0);
    // A chunked body's length is unknown: at most the body limit.
    const expected = Math.max(received, slot.declared ?? MAX_BODY_BYTES);
    return (expected - received) / rate + this.handlingSeconds;
  }

  private received(slot: Slot): number {
    return Math.max(0, slot.socket.bytesRead - slot.baseline);
  }

  private check(slot: Slot, req: http.IncomingMessage, res: http.ServerResponse): void {
    const age = now() - slot.startedAt;
    const received = this.received(slot);
    slot.samples.push([age, received]);
    while (slot.samples.length > 1 && slot.samples[1]![0] <= age - RATE_WINDOW_SECONDS) slot.samples.shift();
    const [since, before] = slot.samples[0]!;
    const window = age - since;
    const required = this.settings.minBytesPerSecond * (window - RATE_GRACE_SECONDS);
    if (required <= 0 || received - before >= required) return;
    const rate = Math.round((received - before) / window);
    clearInterval(slot.watch);
    this.slots.delete(slot);
    refuseSlowBody(
      this.logger,
      req,
      res,
      `the upload arrived at ${rate} bytes/s over the last ${window.toFixed(1)} s; an upload must keep ` +
        `${this.settings.minBytesPerSecond} bytes/s to hold its place: send it from a faster line`,
    );
  }
}

// What a first start has ready so far. While this process seeds, each question
// is answered as soon as its data exists: similarWords once the words are
// loaded (from the in-memory word table until the index exists), similarImages
// once images are stored (noting how many while the collection grows), the
// image ↔ text questions once the model is trained. Otherwise a question gets
// SERVICE_UNAVAILABLE saying what is being prepared and for about how long.
// A process that does not seed (a tool, a test that seeds by hand, a second
// server) answers from whatever the store holds.
import type { WordTable } from '../embedding/index.js';
import { ClientError } from '../errors.js';
import { SEED_PHASES, type WarmupPhase } from './seedPhases.js';

export const CAPABILITIES = ['similarWords', 'similarImages', 'tagsForImage', 'imagesForText'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export type CapabilityState = 'waiting' | 'seeding' | 'ready';

interface PhaseStatus {
  /** For people: "loading the words". */
  what: string;
  state: 'planned' | 'running' | 'done';
  done: number;
  total: number;
  startedAt?: number;
  /** Done when it started (a resumed phase): the rate counts only what this run did. */
  doneAtStart?: number;
  /** What the phase should take before it has a rate of its own. */
  estimateSeconds: number;
}

/** The questions as people know them (messages, the web page). */
const TITLES: Record<Capability, string> = {
  similarWords: 'Related words',
  similarImages: 'Similar photos',
  tagsForImage: 'Tags for a photo',
  imagesForText: 'Searching photos by words',
};

/** What each question needs, and the phase whose progress a partial answer reports. */
export const NEEDS: Record<Capability, readonly WarmupPhase[]> = {
  similarWords: ['words'],
  similarImages: ['images', 'projection'],
  tagsForImage: ['images', 'projection', 'model'],
  imagesForText: ['images', 'projection', 'model'],
};

export interface PhaseReport {
  state: PhaseStatus['state'];
  done: number;
  total: number;
  elapsedSeconds?: number;
  etaSeconds?: number;
}

export class Warmup {
  private seeding = false;
  private readonly phases = new Map<WarmupPhase, PhaseStatus>();
  private table: WordTable | undefined;
  /** Images stored so far: what an answer during the image phase covers (embedded ones may wait for the store). */
  private imagesStored = 0;

  /** True while this process seeds: questions are then checked against what is ready. */
  get active(): boolean {
    return this.seeding;
  }

  /** The words held in memory until the word index exists. */
  get wordTable(): WordTable | undefined {
    return this.table;
  }

  begin(): void {
    this.seeding = true;
    this.phases.clear();
    this.imagesStored = 0;
  }

  storedImages(count: number): void {
    this.imagesStored = count;
  }

  end(): void {
    this.seeding = false;
    this.table = undefined;
  }

  plan(phase: WarmupPhase, estimateSeconds: number, total = 0): void {
    this.phases.set(phase, { what: SEED_PHASES[phase].what, state: 'planned', done: 0, total, estimateSeconds });
  }

  /** True when `phase` has work to do this run (an earlier run did not finish it). */
  planned(phase: WarmupPhase): boolean {
    return this.phases.get(phase)?.state === 'planned';
  }

  start(phase: WarmupPhase, total?: number, done = 0): void {
    const status = this.status(phase);
    status.state = 'running';
    status.startedAt = Date.now();
    if (total !== undefined) status.total = total;
    status.done = done;
    status.doneAtStart = done;
  }

  progress(phase: WarmupPhase, done: number, total?: number): void {
    const status = this.status(phase);
    status.done = done;
    if (total !== undefined) status.total = total;
  }

  finish(phase: WarmupPhase): void {
    // A phase an earlier run finished was never planned: nothing to report.
    const status = this.phases.get(phase);
    if (!status) return;
    status.state = 'done';
    status.done = status.total;
  }

  /** Words are answered from `table` until `dropWordTable`. */
  useWordTable(table: WordTable): void {
    this.table = table;
  }

  dropWordTable(): void {
    this.table = undefined;
  }

  private status(phase: WarmupPhase): PhaseStatus {
    let status = this.phases.get(phase);
    if (!status) {
      status = { what: SEED_PHASES[phase].what, state: 'planned', done: 0, total: 0, estimateSeconds: 0 };
      this.phases.set(phase, status);
    }
    return status;
  }

  private isDone(phase: WarmupPhase): boolean {
    return (this.phases.get(phase)?.state ?? 'done') === 'done';
  }

  state(capability: Capability): CapabilityState {
    if (!this.seeding) return 'ready';
    if (capability === 'similarWords' && this.table) return 'ready';
    const needs = NEEDS[capability];
    if (needs.every((phase) => this.isDone(phase))) return 'ready';
    return needs.some((phase) => this.phases.get(phase)?.state === 'running' || this.isDone(phase)) ? 'seeding' : 'waiting';
  }

  capabilities(): Record<Capability, CapabilityState> {
    return Object.fromEntries(CAPABILITIES.map((capability) => [capability, this.state(capability)])) as Record<
      Capability,
      CapabilityState
    >;
  }

  /** Seconds a phase still needs: from its own rate once it has one, else its estimate. */
  private remaining(phase: WarmupPhase, now: number): number {
    const status = this.phases.get(phase);
    if (!status || status.state === 'done') return 0;
    if (status.state === 'planned' || status.startedAt === undefined) return status.estimateSeconds;
    const elapsed = (now - status.startedAt) / 1000;
    const doneHere = status.done - (status.doneAtStart ?? 0);
    if (doneHere > 0 && status.total > 0) return (elapsed * (status.total - status.done)) / doneHere;
    // Past its estimate (a loaded machine): a fraction of what it has taken, never "0 s".
    return Math.max(status.estimateSeconds - elapsed, 0.1 * elapsed);
  }

  /** Until `capability` is ready: the phases before it run one after another, the word index beside the images. */
  etaSeconds(capability: Capability, now = Date.now()): number {
    const needs = NEEDS[capability];
    const words = this.remaining('words', now);
    if (capability === 'similarWords') return words;
    const rest = needs.filter((phase) => phase !== 'images').reduce((sum, phase) => sum + this.remaining(phase, now), 0);
    // On the embedded store the images are stored once the index is built.
    return words + Math.max(this.remaining('images', now), this.remaining('wordIndex', now)) + rest;
  }

  report(now = Date.now()): Partial<Record<WarmupPhase, PhaseReport>> {
    const out: Partial<Record<WarmupPhase, PhaseReport>> = {};
    for (const [phase, status] of this.phases) {
      out[phase] = {
        state: status.state,
        done: status.done,
        total: status.total,
        ...(status.startedAt !== undefined && status.state === 'running'
          ? { elapsedSeconds: Math.round((now - status.startedAt) / 1000), etaSeconds: Math.round(this.remaining(phase, now)) }
          : {}),
      };
    }
    return out;
  }

  /** The phase being worked on for `capability`, for people. */
  private preparing(capability: Capability): string {
    const pending = NEEDS[capability].find((phase) => !this.isDone(phase));
    const words = this.phases.get('words');
    const current = words && words.state !== 'done' ? words : pending && this.phases.get(pending);
    if (!current) return 'the data';
    return current.total > 0 && current.state === 'running' ? `${current.what} (${current.done}/${current.total})` : current.what;
  }

  /**
   * Refuses a question whose data is not ready with SERVICE_UNAVAILABLE; returns
   * a note for an answer from a collection still being seeded (e.g. "412/1000").
   */
  check(capability: Capability, answerablePartly = false): string | undefined {
    const state = this.state(capability);
    if (state === 'ready') return undefined;
    const images = this.phases.get('images');
    if (answerablePartly && images && this.imagesStored > 0) return `${this.imagesStored}/${images.total}`;
    const eta = Math.max(1, Math.round(this.etaSeconds(capability)));
    throw new ClientError(
      'SERVICE_UNAVAILABLE',
      `${TITLES[capability]} (${capability}) is not ready yet: the server is ${this.preparing(capability)}; about ${eta} s until it answers. Retry then.`,
      { details: { warming: { [capability]: state } }, retryAfterSeconds: eta },
    );
  }

  /** For people, while a background phase runs (the four questions ready): what it does, how far it is, about how long is left. */
  background(now = Date.now()): string | undefined {
    const status = this.phases.get('reference');
    if (!status || status.state !== 'running') return undefined;
    const eta = Math.max(1, Math.round(this.remaining('reference', now)));
    const count = status.total > 0 ? ` (${status.done}/${status.total} photos)` : '';
    return `The server is ${status.what}${count}, about ${eta} s left: tags and text search improve meanwhile.`;
  }

  /** For people, while some question is not ready: what is warming up and until about when. */
  summary(now = Date.now()): string | undefined {
    const waiting = CAPABILITIES.filter((capability) => this.state(capability) !== 'ready');
    if (waiting.length === 0) return undefined;
    const eta = Math.max(...waiting.map((capability) => this.etaSeconds(capability, now)));
    const byWork = new Map<string, string[]>();
    for (const capability of waiting) {
      const work = this.preparing(capability);
      byWork.set(work, [...(byWork.get(work) ?? []), TITLES[capability].toLowerCase()]);
    }
    const parts = [...byWork].map(([work, titles]) => `${titles.join(', ')} (${work})`);
    return `Warming up after the first start: ${parts.join(', ')}; about ${Math.max(1, Math.round(eta))} s left.`;
  }
}

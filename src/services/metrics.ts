// What the server does, for Prometheus: one registry per app. Counters and
// histograms are moved where things happen (requests, refusals, training);
// gauges read the app's state when scraped, so nothing is polled in between.
// docs/operations.md ("Logs and metrics") lists every metric.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelRefusals } from './modelErrors.js';
import { WARMUP_PHASES } from './seedPhases.js';
import { CAPABILITIES, type Warmup } from './warmup.js';

/** One connection pool's use (the primary, and a read replica's when there is one). */
export interface PoolUse {
  pool: 'primary' | 'reader';
  /** Connections open. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  max: number;
}

/** Where the scraped gauges read from. */
export interface MetricSources {
  /** Images waiting for an embedding worker. */
  queuedImages(): number;
  poolUse(): PoolUse[];
  warmup: Warmup;
}

/** One finished GraphQL request, as the request log sees it. */
export interface ObservedRequest {
  /** The root fields asked for ('similarWords'), 'invalid' when the document did not validate. */
  operation: string;
  /** query, mutation; 'unknown' before the operation was known. */
  type: string;
  durationSeconds: number;
  errorCodes: readonly string[];
}

/** Seconds: most answers take milliseconds, image uploads up to a few seconds. */
const DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics implements ModelRefusals {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'operation' | 'type'>;
  private readonly errors: Counter<'code'>;
  private readonly overloadedUploads: Counter;
  private readonly stoppedRequests: Counter<'reason'>;
  private readonly trainingRuns: Counter;
  private readonly trainingSeconds: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'semsearch_graphql_request_duration_seconds',
      help: 'GraphQL requests by operation (the root fields asked for) and type, until the answer was sent',
      labelNames: ['operation', 'type'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'semsearch_graphql_errors_total',
      help: 'GraphQL errors answered, by extensions.code',
      labelNames: ['code'],
      registers,
    });
    this.overloadedUploads = new Counter({
      name: 'semsearch_uploads_overloaded_total',
      help: 'Image bytes refused with OVERLOADED because the embedding queue was full',
      registers,
    });
    this.stoppedRequests = new Counter({
      name: 'semsearch_requests_stopped_total',
      help: 'Questions stopped before their answer: past their time budget (timeout) or their client gone (disconnected)',
      labelNames: ['reason'],
      registers,
    });
    this.trainingRuns = new Counter({
      name: 'semsearch_model_training_runs_total',
      help: 'Image to word model trainings run by this process (seeding)',
      registers,
    });
    this.trainingSeconds = new Gauge({
      name: 'semsearch_model_training_last_seconds',
      help: 'How long the last training run of this process took',
      registers,
    });
    new Gauge({
      name: 'semsearch_image_embedding_queue_length',
      help: 'Images waiting for an embedding worker',
      registers,
      collect() {
        this.set(sources.queuedImages());
      },
    });
    const poolGauge = (name: string, help: string, value: (use: PoolUse) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers,
        collect() {
          for (const use of sources.poolUse()) this.set({ pool: use.pool }, value(use));
        },
      });
    poolGauge('semsearch_db_pool_connections', 'Database connections open, by pool', (use) => use.total);
    poolGauge('semsearch_db_pool_idle_connections', 'Database connections open and idle, by pool', (use) => use.idle);
    poolGauge('semsearch_db_pool_waiting_queries', 'Queries waiting for a free connection, by pool', (use) => use.waiting);
    poolGauge('semsearch_db_pool_max_connections', 'Connections a pool may open', (use) => use.max);
    const phaseGauge = (name: string, help: string, value: (phase: { state: string; done: number; total: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['phase'],
        registers,
        collect() {
          const report = sources.warmup.report();
          for (const phase of WARMUP_PHASES) {
            const status = report[phase];
            // A phase this run did not have to do (an earlier start finished it) is complete.
            this.set({ phase }, value(status ?? { state: 'done', done: 0, total: 0 }));
          }
        },
      });
    phaseGauge('semsearch_seed_phase_done', 'Items a seed phase has done this run (words, images)', (p) => p.done);
    phaseGauge('semsearch_seed_phase_total', 'Items a seed phase has to do this run (0: not counted)', (p) => p.total);
    phaseGauge('semsearch_seed_phase_complete', '1 once a seed phase is complete, else 0', (p) => (p.state === 'done' ? 1 : 0));
    new Gauge({
      name: 'semsearch_capability_ready',
      help: '1 when a question is answered, 0 while its data is being seeded',
      labelNames: ['capability'],
      registers,
      collect() {
        for (const capability of CAPABILITIES) {
          this.set({ capability }, sources.warmup.state(capability) === 'ready' ? 1 : 0);
        }
      },
    });
  }

  observeRequest(request: ObservedRequest): void {
    this.requestDuration.observe({ operation: request.operation, type: request.type }, request.durationSeconds);
    for (const code of request.errorCodes) this.errors.inc({ code });
  }

  overloaded(): void {
    this.overloadedUploads.inc();
  }

  /** A question stopped: past its time budget, or its client gone before the answer. */
  countStopped(reason: 'timeout' | 'disconnected'): void {
    this.stoppedRequests.inc({ reason });
  }

  modelTrained(seconds: number): void {
    this.trainingRuns.inc();
    this.trainingSeconds.set(seconds);
  }

  /** The text format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

// `npm run bench -- --word-index`: which HNSW parameters the embedded store
// should build its word index with. On a scratch PGlite store holding the
// words the server seeds there, it measures the exact similarWords query (what
// is answered before an index exists), then builds each candidate index in turn
// (one build at a time, same maintenance_work_mem as the seed) and sweeps
// ef_search for recall@10 against exact neighbours and query latency.
// Recall is measured on frequent words (what people type, and easy) and on
// words drawn from the whole store (the harder case); the goal holds for both.
// The machine may be shared: builds are compared by the CPU time the process
// spent on them (the build is all it does meanwhile) as well as in seconds; a
// short exact scan timed before each build shows the machine's speed then, and
// rounds run the candidates in alternating order. Results are written after every build.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import type { Logger } from '../logger.js';
import { applyMigrations, findVectorTypeOids } from '../repositories/migrationRepository.js';
import { WordRepository, type WordIndexParams } from '../repositories/wordRepository.js';
import { loadWords } from '../../seeds/words.js';
import { SeedStateRepository } from '../repositories/seedStateRepository.js';
import { formatTable, writeResults, type TableRow } from './benchReport.js';
import { round, summarizeLatencies } from './stats.js';
import { exactWordNeighbours, wordRecallAt, type RecallPoint, type WordTruth } from './wordRecall.js';

/** What the seed gives the embedded store's index build (seeds/run.ts). */
const EMBEDDED_INDEX_MEMORY = '256MB';
const RECALL_K = 10;
const RECALL_GOAL = 0.98;
/** Query words come from the most frequent words (what people type). */
const FREQUENT_RANKS = 20_000;
const EF_LADDER = [40, 64, 100, 150, 200, 300, 400, 600];
/** Exact scans timed before each build: the machine's speed at that moment. */
const CALIBRATION_QUERIES = 20;
/** The first is the reference the others' build times are compared with; it runs last (the longest build). */
const CANDIDATES: WordIndexParams[] = [
  { m: 24, efConstruction: 128 },
  { m: 16, efConstruction: 64 },
  { m: 8, efConstruction: 20 },
  { m: 16, efConstruction: 40 },
  { m: 12, efConstruction: 24 },
  { m: 12, efConstruction: 48 },
  { m: 8, efConstruction: 32 },
  { m: 16, efConstruction: 32 },
  { m: 12, efConstruction: 32 },
];

export interface WordIndexBenchOptions {
  /** "m/ef_construction" pairs to build instead of all the candidates; the first is the reference. */
  candidates?: string;
  queries: number;
  rounds: number;
  out: string;
}

type QuerySet = 'frequent' | 'all';
type Truths = Record<QuerySet, WordTruth[]>;

interface Build {
  round: number;
  seconds: number;
  /** CPU time of this process during the build: the database thread's work, whatever the load. */
  cpuSeconds: number;
  /** p50 of the exact similarWords query just before the build, in ms. */
  calibrationMs: number;
  bytes: number;
  /** 1-minute load average before and after the build. */
  load: [number, number];
  recall: Record<QuerySet, RecallPoint[]>;
}

interface CandidateResult extends WordIndexParams {
  builds: Build[];
}

const label = (p: WordIndexParams) => `m=${p.m}/ef_construction=${p.efConstruction}`;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const load1m = () => round(loadavg()[0]!, 1);

/** Latency of the similarWords query for stored words, as answered by a plain scan when no index exists. */
async function timeExactScan(words: WordRepository, queries: string[]) {
  await words.dropIndex();
  const latencies: number[] = [];
  for (const word of queries) {
    const started = performance.now();
    await words.nearestToStoredWord(word, RECALL_K, RECALL_K + 1);
    latencies.push(performance.now() - started);
  }
  const summary = summarizeLatencies(latencies);
  return { queries: queries.length, p50Ms: round(summary.p50), p99Ms: round(summary.p99), load: load1m() };
}
type ExactScan = Awaited<ReturnType<typeof timeExactScan>>;

async function buildAndSweep(
  words: WordRepository,
  truths: Truths,
  roundNumber: number,
  log: (message: string) => void,
): Promise<Build> {
  const calibration = await timeExactScan(words, truths.frequent.slice(0, CALIBRATION_QUERIES).map((t) => t.word));
  const loadBefore = load1m();
  log(`round ${roundNumber}: building ${label(words.index)} (load ${loadBefore}, exact scan p50 ${calibration.p50Ms} ms)`);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await words.createIndex(EMBEDDED_INDEX_MEMORY);
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = round((performance.now() - started) / 1000, 1);
  const cpuSeconds = round((cpu.user + cpu.system) / 1e6, 1);
  const bytes = await words.indexBytes();
  log(`round ${roundNumber}: ${label(words.index)} built in ${seconds} s (${cpuSeconds} s CPU), ${round(bytes / 2 ** 20, 1)} MB`);
  const recall: Build['recall'] = { frequent: [], all: [] };
  for (const ef of EF_LADDER) {
    for (const set of ['frequent', 'all'] as const) recall[set].push(await wordRecallAt(words, truths[set], RECALL_K, ef));
    const [frequent, all] = [recall.frequent.at(-1)!, recall.all.at(-1)!];
    log(`  ef_search ${ef}: recall@10 ${frequent.recall} (frequent), ${all.recall} (all), p50 ${all.p50Ms} ms`);
  }
  return { round: roundNumber, seconds, cpuSeconds, calibrationMs: calibration.p50Ms, bytes, load: [loadBefore, load1m()], recall };
}

/** Per ef_search over the rounds: the lowest recall of either set (a build may come out worse), the mean p50. */
function summarizeLadder(builds: Build[]) {
  return EF_LADDER.map((efSearch, i) => ({
    efSearch,
    recallFrequent: Math.min(...builds.map((b) => b.recall.frequent[i]!.recall)),
    recallAll: Math.min(...builds.map((b) => b.recall.all[i]!.recall)),
    recall: Math.min(...builds.flatMap((b) => [b.recall.frequent[i]!.recall, b.recall.all[i]!.recall])),
    p50Ms: round(mean(builds.map((b) => b.recall.all[i]!.p50Ms))),
  }));
}

/** What a build costs whatever else the machine runs. */
const relativeCost = (build: Build) => build.cpuSeconds;

/**
 * Recall measured on `pairs` neighbours meets the goal beyond sampling error:
 * the lower end of its 95% interval does. With 1,000 pairs a measured 0.984 is
 * 0.976..0.992, which a rebuild or other words could as well put under 0.98.
 */
function meetsGoal(recall: number, pairs: number): boolean {
  return recall - 1.96 * Math.sqrt((recall * (1 - recall)) / pairs) >= RECALL_GOAL;
}

/** The candidate that builds fastest while reaching the recall goal, with its smallest such ef_search. */
function choose(results: CandidateResult[], pairs: number) {
  const qualifying = results.flatMap((candidate) => {
    const point = summarizeLadder(candidate.builds).find((p) => meetsGoal(p.recall, pairs));
    return point && candidate.builds.length > 0 ? [{ candidate, point, cost: mean(candidate.builds.map(relativeCost)) }] : [];
  });
  qualifying.sort((a, b) => a.cost - b.cost);
  const chosen = qualifying[0];
  return chosen && { m: chosen.candidate.m, efConstruction: chosen.candidate.efConstruction, efSearch: chosen.point.efSearch };
}

function tableRows(results: CandidateResult[], exact: ExactScan[], pairs: number): TableRow[] {
  const exactP50 = mean(exact.map((e) => e.p50Ms));
  const reference = results[0]!.builds;
  const rows: TableRow[] = exact.map((e, i) => ({
    metric: `exact similarWords (no index), round ${i + 1}`,
    value: `p50 ${e.p50Ms} ms, p99 ${e.p99Ms} ms over ${e.queries} words (load ${e.load})`,
  }));
  for (const candidate of results.filter((c) => c.builds.length > 0)) {
    const builds = candidate.builds.map((b, i) => {
      const ratio = reference[i] ? `, ${round(relativeCost(b) / relativeCost(reference[i]!))}x` : '';
      return `${b.seconds} s, ${b.cpuSeconds} s CPU${ratio} (scan ${b.calibrationMs} ms, load ${b.load[0]}-${b.load[1]})`;
    });
    const megabytes = round(candidate.builds[0]!.bytes / 2 ** 20, 1);
    rows.push({ metric: `${label(candidate)} build`, value: `${builds.join('; ')}; ${megabytes} MB` });
    for (const point of summarizeLadder(candidate.builds)) {
      rows.push({
        metric: `  ef_search ${point.efSearch}`,
        value:
          `recall@10 ${point.recallFrequent.toFixed(3)} frequent, ${point.recallAll.toFixed(3)} all; ` +
          `p50 ${point.p50Ms} ms (${round(point.p50Ms / exactP50, 3)}x exact)`,
        goal: meetsGoal(point.recall, pairs) ? `>= ${RECALL_GOAL}` : undefined,
      });
    }
  }
  const chosen = choose(results, pairs);
  rows.push({
    metric: 'fastest build with recall@10 >= 0.98 (beyond sampling error)',
    value: chosen ? `${label(chosen)}, ef_search ${chosen.efSearch}` : 'none',
  });
  return rows;
}

export async function benchWordIndexParams(
  config: Config,
  logger: Logger,
  options: WordIndexBenchOptions,
  log: (message: string) => void,
): Promise<void> {
  if (config.database.kind !== 'pglite') {
    throw new Error('--word-index measures the embedded store: unset DATABASE_URL');
  }
  // A store of its own, so the bench neither drops the served store's index nor waits for its seed.
  const dataDir = path.join(config.dataDir, 'bench-word-index');
  const db = await openDatabase({ ...config, database: { kind: 'pglite', dataDir } }, logger, {
    migrate: (pool) => applyMigrations(pool, logger),
    vectorTypeOids: findVectorTypeOids,
  });
  try {
    const store = new WordRepository(db.primary, db.reader, CANDIDATES[0]!);
    // The seed's own loader: it resumes a killed load and adds only missing words.
    const { limit, gloveFile } = config.words;
    const loaded = await loadWords(store, new SeedStateRepository(db.primary), { limit, gloveFile, indexMemory: '' }, logger);
    if (!loaded.skipped) await store.analyze();
    const count = await store.count();
    const frequent = await store.sample(options.queries, FREQUENT_RANKS);
    const all = await store.sample(options.queries, count);
    log(`${count} words; exact ${RECALL_K}-NN of ${frequent.length} frequent and ${all.length} other words`);
    const truths: Truths = {
      frequent: await exactWordNeighbours(store, frequent, RECALL_K),
      all: await exactWordNeighbours(store, all, RECALL_K),
    };

    const only = options.candidates?.split(',').map((pair) => {
      const [m, efConstruction] = pair.split('/').map(Number);
      return { m: m!, efConstruction: efConstruction! };
    });
    const results: CandidateResult[] = (only ?? CANDIDATES).map((params) => ({ ...params, builds: [] }));
    const exact: ExactScan[] = [];
    // Recall pairs per set: each of its query words' exact neighbours.
    const pairs = Math.min(truths.frequent.length, truths.all.length) * RECALL_K;
    const save = () => {
      const result = {
        generatedAt: new Date().toISOString(),
        words: count,
        indexMemory: EMBEDDED_INDEX_MEMORY,
        exact,
        candidates: results,
        chosen: choose(results, pairs),
      };
      const previous = existsSync(options.out) ? (JSON.parse(readFileSync(options.out, 'utf8')) as object) : {};
      writeResults(options.out, { ...previous, wordIndex: result });
    };
    for (let r = 1; r <= options.rounds; r++) {
      exact.push(await timeExactScan(store, frequent));
      log(`round ${r}: exact similarWords p50 ${exact.at(-1)!.p50Ms} ms, p99 ${exact.at(-1)!.p99Ms} ms`);
      // The reference runs last in odd rounds, first in even ones.
      const order = [...results.slice(1), results[0]!];
      for (const candidate of r % 2 === 1 ? order : order.reverse()) {
        const words = new WordRepository(db.primary, db.reader, candidate);
        candidate.builds.push(await buildAndSweep(words, truths, r, log));
        save();
      }
    }
    await store.dropIndex();

    const title = `semsearch word index parameters: embedded store, ${count} words, ${frequent.length} + ${all.length} query words`;
    process.stdout.write(`${formatTable(title, tableRows(results, exact, pairs))}\n\nwritten to ${options.out}\n`);
  } finally {
    await db.close();
  }
}

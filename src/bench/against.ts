// `npm run bench -- --against <ref>`: this checkout against another commit,
// each a server of its own on a store of the same content (seeded by its own
// first start with the same settings), asked the same questions in many short
// rounds that alternate which side goes first (ABBA). Per question: the median
// of the rounds' ratios (this / against) with a bootstrap 95% interval, for
// wall time and for CPU per request (the server process; on PostgreSQL also
// the backends serving it).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { measureBlock, measureInterleaved, measureLoadInTurns, questions, type BlockResult, type BlockSize, type Question, type SideTarget } from './abBlocks.js';
import { startBenchServer, type BenchServer } from './benchServer.js';
import { checkoutRef, currentCode, type CodeVersion } from './refCheckout.js';
import { formatRatio, median, summarizeRatios, type RatioSummary } from './ratioStats.js';
import type { TableRow } from './benchReport.js';
import { openSideStore, type Side, type SideStore, type StorePlan } from './sideStores.js';
import { round } from './stats.js';

export interface AgainstOptions {
  ref: string;
  store: Omit<StorePlan, 'settingsKey'>;
  /** Seed settings both sides get (e.g. IMAGES_LIMIT, WORDS_LIMIT), beside the environment's own. */
  seedEnv: Record<string, string>;
  rounds: number;
  /**
   * Server pairs the rounds are shared among: both servers start again
   * between groups of rounds, since one process of the same code and store
   * answered up to 5% more requests a second than another.
   */
  serverStarts: number;
  block: BlockSize;
  loadClients: number;
  /** Requests per question and side before the rounds (JIT, caches). */
  warmupRequests: number;
  readyTimeoutSeconds: number;
  log: (message: string) => void;
}

/** The environment both servers share; each side adds its store. */
function serverEnv(options: AgainstOptions): NodeJS.ProcessEnv {
  // No reference set unless asked: its 8,000 photos are embedded after /readyz, so on a side that has
  // it (and not on an older commit) they would run through the rounds and be counted as its requests' CPU.
  const env: NodeJS.ProcessEnv = { REFERENCE_SET: 'none', ...process.env, LOG_LEVEL: 'warn', ...options.seedEnv };
  // The store is each side's own; a bench target of ours would point both at one.
  for (const name of ['DATABASE_URL', 'DATABASE_READ_URL', 'DATA_DIR', 'BENCH_URL', 'PORT', 'HOST']) delete env[name];
  return env;
}

/** What decides a seeded store's content: the cache key's settings part. */
function settingsKey(options: AgainstOptions, env: NodeJS.ProcessEnv): string {
  const names = ['IMAGES_LIMIT', 'WORDS_LIMIT', 'GLOVE_FILE', 'ASSETS_DIR', 'TRAIN_EPOCHS', 'TAG_VOCABULARY_SIZE', 'EMBED_WORKERS', 'REFERENCE_SET'];
  const settings = Object.fromEntries(names.map((name) => [name, env[name] ?? '']));
  return createHash('sha1').update(JSON.stringify({ store: options.store.kind, settings })).digest('hex').slice(0, 10);
}

interface StoreContent {
  images: number;
  firstIds: string[];
}

async function storeContent(url: string): Promise<StoreContent> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ images(first: 8) { totalCount edges { node { id } } } }' }),
  });
  const body = (await response.json()) as { data?: { images: { totalCount: number; edges: { node: { id: string } }[] } } };
  if (!body.data) throw new Error(`the store's images could not be listed: ${JSON.stringify(body).slice(0, 300)}`);
  return { images: body.data.images.totalCount, firstIds: body.data.images.edges.map((edge) => edge.node.id) };
}

type PerSide<T> = Record<Side, T>;

interface QuestionResult {
  /** For one client: p50 ms (lower is better); for many: requests/s (higher is better). */
  wall: { metric: string; this: number; against: number; ratio: RatioSummary };
  cpuMsPerRequest: { this: number; against: number; ratio: RatioSummary };
  pgCpuMsPerRequest?: { this: number; against: number; ratio: RatioSummary };
  /** Node's CPU per request over PostgreSQL's for the same requests, per side (median of the rounds). */
  nodeOverPostgresCpu?: PerSide<number>;
  rounds: PerSide<BlockResult>[];
}

function summarize(question: Question, rounds: PerSide<BlockResult>[]): QuestionResult {
  const pick = (side: Side, metric: (block: BlockResult) => number) => rounds.map((pair) => metric(pair[side]));
  const compare = (metric: (block: BlockResult) => number) => ({
    this: median(pick('this', metric)),
    against: median(pick('against', metric)),
    ratio: summarizeRatios(rounds.map((pair) => metric(pair.this) / metric(pair.against))),
  });
  const wallMetric = question.clients === 1 ? (block: BlockResult) => block.p50Ms : (block: BlockResult) => block.requestsPerSecond;
  const result: QuestionResult = {
    wall: { metric: question.clients === 1 ? 'p50 ms' : 'requests/s', ...compare(wallMetric) },
    cpuMsPerRequest: compare((block) => block.cpuMsPerRequest),
    rounds,
  };
  if (rounds[0]?.this.pgCpuMsPerRequest !== undefined) {
    result.pgCpuMsPerRequest = compare((block) => block.pgCpuMsPerRequest!);
    const nodeOverPg = (side: Side) => median(pick(side, (block) => block.cpuMsPerRequest / block.pgCpuMsPerRequest!));
    result.nodeOverPostgresCpu = { this: nodeOverPg('this'), against: nodeOverPg('against') };
  }
  return result;
}

function rowsOf(results: Record<string, QuestionResult>): TableRow[] {
  const rows: TableRow[] = [];
  for (const [name, result] of Object.entries(results)) {
    const { wall, cpuMsPerRequest: cpu, pgCpuMsPerRequest: pgCpu } = result;
    rows.push({
      metric: `${name}: ${wall.metric}, this / against`,
      value: `${formatRatio(wall.ratio)}; ${round(wall.this)} vs ${round(wall.against)}`,
      goal: wall.metric === 'p50 ms' ? '<= 1.0' : '>= 1.1',
    });
    rows.push({ metric: `${name}: server CPU ms/request`, value: `${formatRatio(cpu.ratio)}; ${round(cpu.this, 3)} vs ${round(cpu.against, 3)}` });
    if (pgCpu) {
      rows.push({ metric: `${name}: PostgreSQL CPU ms/request`, value: `${formatRatio(pgCpu.ratio)}; ${round(pgCpu.this, 3)} vs ${round(pgCpu.against, 3)}` });
      const { this: mine, against } = result.nodeOverPostgresCpu!;
      rows.push({ metric: `${name}: Node CPU / PostgreSQL CPU`, value: `this ${round(mine, 3)}, against ${round(against, 3)}`, goal: '<= 0.5' });
    }
  }
  return rows;
}

/**
 * Every request of a side answered without error, or the first error. Each
 * question as it is asked (many clients too: their code paths warm as well),
 * so the first rounds are not the ones still compiling.
 */
async function warmUp(targets: PerSide<SideTarget>, asked: Question[], options: AgainstOptions): Promise<void> {
  for (const question of asked) {
    for (const side of ['this', 'against'] as const) {
      const block = await measureBlock(targets[side], question, { requests: options.warmupRequests, seconds: options.block.seconds });
      if (block.errors > 0) throw new Error(`${side}: ${question.name} failed: ${block.firstError}`);
    }
  }
}

async function runRounds(
  targets: PerSide<SideTarget>,
  asked: Question[],
  options: AgainstOptions,
  perQuestion: Map<string, PerSide<BlockResult>[]>,
  rounds: { from: number; to: number },
): Promise<void> {
  for (let index = rounds.from; index < rounds.to; index++) {
    // ABBA: which side goes first alternates, so a drift in the machine's load falls on both.
    const order: Side[] = index % 2 === 0 ? ['this', 'against'] : ['against', 'this'];
    for (const question of asked) {
      const pair = {} as PerSide<BlockResult>;
      // Both sides in one block, taking turns: request by request at one client, in slices of the load at many.
      const sides = order.map((side) => targets[side]);
      const results = await (question.clients === 1 ? measureInterleaved(sides, question, options.block) : measureLoadInTurns(sides, question, options.block));
      order.forEach((side, i) => (pair[side] = results[i]!));
      for (const side of order) if (pair[side].errors > 0) throw new Error(`${side}: ${question.name} failed: ${pair[side].firstError}`);
      perQuestion.get(question.name)!.push(pair);
    }
    options.log(`round ${index + 1}/${options.rounds} done (1-min load average ${loadavg()[0]!.toFixed(1)})`);
  }
}

/** The rounds [from, to) of each server pair: as even a share as the rounds allow. */
export function roundGroups(rounds: number, serverStarts: number): { from: number; to: number }[] {
  const groups = Math.max(1, Math.min(serverStarts, rounds));
  return Array.from({ length: groups }, (_, g) => ({ from: Math.round((g * rounds) / groups), to: Math.round(((g + 1) * rounds) / groups) }));
}

export async function benchAgainst(options: AgainstOptions) {
  const loadAverageAtStart = loadavg();
  const env = serverEnv(options);
  const plan: StorePlan = { ...options.store, settingsKey: settingsKey(options, env) };
  const code: Partial<PerSide<CodeVersion>> = { this: currentCode() };
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    const checkout = checkoutRef(code.this!, options.ref, options.log);
    cleanup.push(() => checkout.remove());
    code.against = checkout;
    const servers = {} as PerSide<BenchServer>;
    const stores = {} as PerSide<SideStore>;
    const start = async (side: Side) => {
      const server = await startBenchServer({
        label: side,
        dir: code[side]!.dir,
        env: { ...env, ...stores[side].env },
        timeoutSeconds: options.readyTimeoutSeconds,
        log: options.log,
      });
      cleanup.push(() => server.stop());
      return server;
    };
    // One after the other: each first start seeds on a machine the other does not load.
    for (const side of ['against', 'this'] as const) {
      stores[side] = await openSideStore(plan, side, code[side]!);
      cleanup.push(() => stores[side].dispose());
      servers[side] = await start(side);
    }
    const readySeconds = { this: servers.this.readySeconds, against: servers.against.readySeconds };
    const content = { this: await storeContent(servers.this.url), against: await storeContent(servers.against.url) };
    if (JSON.stringify(content.this) !== JSON.stringify(content.against)) {
      throw new Error(`the two stores differ: ${JSON.stringify(content)}`);
    }
    if (content.this.firstIds.length === 0) throw new Error('the stores have no images');
    const targetsOf = () =>
      Object.fromEntries(
        (['this', 'against'] as const).map((side) => [side, { url: servers[side].url, pid: servers[side].pid, backendPids: stores[side].backendPids }]),
      ) as PerSide<SideTarget>;
    const asked = questions(content.this.firstIds, options.loadClients);
    const perQuestion = new Map<string, PerSide<BlockResult>[]>(asked.map((question) => [question.name, []]));
    const groups = roundGroups(options.rounds, options.serverStarts);
    for (const [g, rounds] of groups.entries()) {
      if (g > 0) {
        options.log(`starting both servers again (${g + 1} of ${groups.length}): each process compiles and lays out its heap its own way`);
        for (const side of ['against', 'this'] as const) {
          await servers[side].stop();
          servers[side] = await start(side);
        }
      }
      options.log(`warming up both sides (${options.warmupRequests} requests per question)`);
      await warmUp(targetsOf(), asked, options);
      await runRounds(targetsOf(), asked, options, perQuestion, rounds);
    }
    const results = Object.fromEntries(asked.map((question) => [question.name, summarize(question, perQuestion.get(question.name)!)]));
    const result = {
      generatedAt: new Date().toISOString(),
      ref: options.ref,
      this: { commit: code.this!.commit, uncommittedChanges: code.this!.dirty },
      against: { commit: code.against.commit },
      store: options.store.kind,
      seedSettings: options.seedEnv,
      stores: Object.fromEntries(
        (['this', 'against'] as const).map((side) => [side, { images: content[side].images, reused: stores[side].reused, readySeconds: readySeconds[side] }]),
      ),
      rounds: options.rounds,
      serverStarts: groups.length,
      block: options.block,
      loadClients: options.loadClients,
      loadAverage: { start: loadAverageAtStart, end: loadavg() },
      questions: results,
    };
    return { result, rows: rowsOf(results) };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch((err: Error) => options.log(`cleanup: ${err.message}`));
  }
}

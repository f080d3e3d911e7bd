// The questions a comparison asks (the four questions, then similarImages(id)
// at 16 clients), and one block of one of them: against one side, or against
// both sides taking turns (one client: request by request; many: in slices).
// Per side: its wall time, and the CPU the server process (and, on
// PostgreSQL, the backends serving it) spent per request, read from /proc
// before and after.
import { graphqlBody, runLoad, type LoadResult } from './httpLoad.js';
import { IMAGES_FOR_TEXT, SIMILAR_BY_ID, TAGS_FOR_IMAGE } from './imageBench.js';
import { cpuDelta, cpuOf, processCpuSeconds } from './procCpu.js';
import { runInterleaved, type SequentialResult } from './sequentialRequests.js';
import { summarizeLatencies } from './stats.js';
import { SIMILAR_WORDS_QUERY } from './wordBench.js';

/** Words and texts every store has, down to the tests' small GloVe file. */
const WORDS = ['dog', 'cat', 'horse', 'boat', 'car', 'bus', 'train', 'tree', 'water', 'street', 'beach', 'snow'];
const TEXTS = [
  'a dog on the beach', 'a cat on a sofa', 'red bus', 'boat on the water', 'horse', 'a train',
  'car in the street', 'snow', 'a bird in a tree', 'sheep', 'cow', 'bottle',
];

export interface Question {
  name: string;
  bodies: string[];
  /** 1: requests one after another; more: a load of this many clients for the block's seconds. */
  clients: number;
}

export function questions(imageIds: readonly string[], loadClients: number): Question[] {
  const byId = imageIds.map((id) => graphqlBody(SIMILAR_BY_ID, { id }));
  return [
    { name: 'similarImages(id)', bodies: byId, clients: 1 },
    { name: 'similarWords', bodies: WORDS.map((word) => graphqlBody(SIMILAR_WORDS_QUERY, { word })), clients: 1 },
    { name: 'imagesForText', bodies: TEXTS.map((text) => graphqlBody(IMAGES_FOR_TEXT, { text })), clients: 1 },
    { name: 'tagsForImage', bodies: imageIds.map((id) => graphqlBody(TAGS_FOR_IMAGE, { id })), clients: 1 },
    { name: `similarImages(id), ${loadClients} clients`, bodies: byId, clients: loadClients },
  ];
}

export interface SideTarget {
  url: string;
  /** The server process. */
  pid: number;
  backendPids?: () => Promise<number[]>;
}

export interface BlockResult {
  requests: number;
  errors: number;
  firstError?: string;
  p50Ms: number;
  requestsPerSecond: number;
  cpuMsPerRequest: number;
  /** PostgreSQL's backends for the same requests (the server store only). */
  pgCpuMsPerRequest?: number;
  /** Backends that closed during the block, whose CPU could not be counted. */
  pgBackendsLost?: number;
}

export interface BlockSize {
  /** Requests of a one-client block. */
  requests: number;
  /** Seconds of a many-client block. */
  seconds: number;
}

async function backendCpu(side: SideTarget): Promise<Map<number, number> | undefined> {
  return side.backendPids ? cpuOf(await side.backendPids()) : undefined;
}

/** A side's CPU so far: its server process's and (PostgreSQL) its backends'. */
interface CpuReading {
  process: number;
  backends?: Map<number, number>;
}

async function readCpu(side: SideTarget): Promise<CpuReading> {
  const backends = await backendCpu(side);
  return { process: processCpuSeconds(side.pid) ?? Number.NaN, backends };
}

type Answered = Pick<BlockResult, 'requests' | 'errors' | 'firstError' | 'p50Ms' | 'requestsPerSecond'>;

/** The block's result once it has run: `answered` and the CPU spent since `before`. */
async function withCpu(side: SideTarget, before: CpuReading, answered: Answered): Promise<BlockResult> {
  const cpuMsPerRequest = (((processCpuSeconds(side.pid) ?? Number.NaN) - before.process) * 1000) / answered.requests;
  const result: BlockResult = { ...answered, cpuMsPerRequest };
  if (before.backends) {
    // Backends opened during the block are read too: all their CPU is the block's.
    const pgAfter = cpuOf([...new Set([...before.backends.keys(), ...(await side.backendPids!())])]);
    const { seconds: pgSeconds, lost } = cpuDelta(before.backends, pgAfter);
    result.pgCpuMsPerRequest = (pgSeconds * 1000) / answered.requests;
    result.pgBackendsLost = lost;
  }
  return result;
}

const sequentialAnswered = (run: SequentialResult, seconds: number): Answered => ({
  requests: run.latenciesMs.length,
  errors: run.errors,
  firstError: run.firstError,
  p50Ms: summarizeLatencies(run.latenciesMs).p50,
  requestsPerSecond: run.latenciesMs.length / seconds,
});

const secondsSince = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * A one-client question against several sides at once, taking turns request
 * by request: a drift of the machine between two blocks run one after the
 * other moved a round's ratio by 10–30%; taking turns puts it on both sides.
 * Requests per second: each side's requests over the block's whole time.
 */
export async function measureInterleaved(sides: readonly SideTarget[], question: Question, size: BlockSize): Promise<BlockResult[]> {
  const before = await Promise.all(sides.map(readCpu));
  const started = process.hrtime.bigint();
  const runs = await runInterleaved(sides.map((side) => side.url), question.bodies, size.requests);
  const seconds = secondsSince(started);
  return Promise.all(sides.map((side, i) => withCpu(side, before[i]!, sequentialAnswered(runs[i]!, seconds))));
}

/** Slices a many-client block is cut into per side, taken in turns (ABBA). */
export const LOAD_SLICES = 4;

/** Several loads of one side as one: their requests over their seconds; p50 weighted by requests. */
function loadAnswered(loads: readonly LoadResult[]): Answered {
  const requests = loads.reduce((sum, load) => sum + load.requests, 0);
  const seconds = loads.reduce((sum, load) => sum + load.seconds, 0);
  return {
    requests,
    errors: loads.reduce((sum, load) => sum + load.connectionErrors + load.non2xx + load.graphqlErrors, 0),
    firstError: loads.find((load) => load.firstError)?.firstError,
    p50Ms: loads.reduce((sum, load) => sum + load.latencyMs.p50 * load.requests, 0) / Math.max(requests, 1),
    requestsPerSecond: requests / seconds,
  };
}

/**
 * A many-client question against several sides, the block's seconds cut into
 * `slices` loads per side taken in turns (ABBA): two loads of a whole block
 * one after the other read 1.106× the requests a second for the same code
 * on two stores of the same content (12 rounds), as the machine drifted
 * between them.
 */
export async function measureLoadInTurns(
  sides: readonly SideTarget[],
  question: Question,
  size: BlockSize,
  slices = LOAD_SLICES,
): Promise<BlockResult[]> {
  const before = await Promise.all(sides.map(readCpu));
  const loads = sides.map((): LoadResult[] => []);
  const forward = sides.map((_, i) => i);
  const backward = [...forward].reverse();
  const durationSeconds = size.seconds / slices;
  for (let slice = 0; slice < slices; slice++) {
    for (const i of slice % 2 === 0 ? forward : backward) {
      loads[i]!.push(await runLoad({ label: question.name, url: sides[i]!.url, bodies: question.bodies, connections: question.clients, durationSeconds }));
    }
  }
  return Promise.all(sides.map((side, i) => withCpu(side, before[i]!, loadAnswered(loads[i]!))));
}

/** One question against one side: its requests one after another, or its load for the block's seconds. */
export async function measureBlock(side: SideTarget, question: Question, size: BlockSize): Promise<BlockResult> {
  const [result] = question.clients === 1 ? await measureInterleaved([side], question, size) : await measureLoadInTurns([side], question, size, 1);
  return result!;
}

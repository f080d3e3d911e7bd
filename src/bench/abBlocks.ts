// The questions a comparison asks (the four questions, then similarImages(id)
// at 16 clients), and one block of one of them against one side: its wall
// time, and the CPU the server process (and, on PostgreSQL, the backends
// serving it) spent per request, read from /proc before and after.
import { graphqlBody, runLoad } from './httpLoad.js';
import { IMAGES_FOR_TEXT, SIMILAR_BY_ID, TAGS_FOR_IMAGE } from './imageBench.js';
import { cpuDelta, cpuOf, processCpuSeconds } from './procCpu.js';
import { runSequential } from './sequentialRequests.js';
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

export async function measureBlock(side: SideTarget, question: Question, size: BlockSize): Promise<BlockResult> {
  const pgBefore = await backendCpu(side);
  const cpuBefore = processCpuSeconds(side.pid) ?? Number.NaN;
  const started = process.hrtime.bigint();
  let requests: number;
  let errors: number;
  let firstError: string | undefined;
  let p50Ms: number;
  let loadRps: number | undefined;
  if (question.clients === 1) {
    const run = await runSequential(side.url, question.bodies, size.requests);
    requests = run.latenciesMs.length;
    ({ errors, firstError } = run);
    p50Ms = summarizeLatencies(run.latenciesMs).p50;
  } else {
    const load = await runLoad({
      label: question.name,
      url: side.url,
      bodies: question.bodies,
      connections: question.clients,
      durationSeconds: size.seconds,
    });
    requests = load.requests;
    errors = load.connectionErrors + load.non2xx + load.graphqlErrors;
    firstError = load.firstError;
    p50Ms = load.latencyMs.p50;
    loadRps = load.rps;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuMsPerRequest = (((processCpuSeconds(side.pid) ?? Number.NaN) - cpuBefore) * 1000) / requests;
  const requestsPerSecond = loadRps ?? requests / seconds;
  const result: BlockResult = { requests, errors, firstError, p50Ms, requestsPerSecond, cpuMsPerRequest };
  if (pgBefore) {
    // Backends opened during the block are read too: all their CPU is the block's.
    const pgAfter = cpuOf([...new Set([...pgBefore.keys(), ...(await side.backendPids!())])]);
    const { seconds: pgSeconds, lost } = cpuDelta(pgBefore, pgAfter);
    result.pgCpuMsPerRequest = (pgSeconds * 1000) / requests;
    result.pgBackendsLost = lost;
  }
  return result;
}

// `npm run bench -- --first-start`: the real `npm start` on an empty DATA_DIR,
// as a new user runs it. Records when each question is first answered and
// when /readyz turns 200, then stops it and starts it again: the restart's time
// to ready. Questions are asked twice a second; each is timed from the spawn.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeCriticalPath, parseTimeline } from './criticalPath.js';
import type { TableRow } from './benchReport.js';
import { summarizeRatios, type RatioSummary } from './ratioStats.js';

const POLL_MS = 500;
/** A restart takes about 2 s: polled every 0.5 s, one poll would be a quarter of it. */
const EARLY_POLL_MS = 50;
const EARLY_SECONDS = 10;

const QUESTIONS = {
  similarWords: () => '{ similarWords(word: "dog", first: 5) { distance } }',
  // Through Image.similar, so no id is needed before any image exists.
  similarImages: () => '{ images(first: 1) { edges { node { similar(first: 3) { distance } } } } }',
  tagsForImage: (id?: string) => (id ? `{ tagsForImage(id: ${JSON.stringify(id)}, first: 3) { distance } }` : undefined),
  imagesForText: () => '{ imagesForText(text: "a dog on a beach", first: 3) { distance } }',
} as const;
type Question = keyof typeof QUESTIONS;

export interface StartRun {
  /** Seconds from the spawn to the first answer of each question (undefined: none within the timeout). */
  firstAnswerSeconds: Partial<Record<Question, number>>;
  readySeconds?: number;
  /** The server's own lines about what each phase took. */
  phaseLog: string[];
  /** The seed's critical path, phase by phase (from a server that logs its timeline). */
  criticalPath?: string[];
}

export interface FirstStartResult {
  dataDir: string;
  firstStart: StartRun;
  restart: StartRun;
}

export interface FirstStartOptions {
  dataDir: string;
  /** The checkout to start (default: this one). */
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  port: number;
  timeoutSeconds: number;
  log: (message: string) => void;
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function post(url: string, query: string): Promise<GraphQLAnswer | undefined> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as GraphQLAnswer;
  } catch {
    return undefined;
  }
}

/** A right answer: no error and at least one row (the first image's own list included). */
function answered(answer: GraphQLAnswer | undefined): boolean {
  if (!answer?.data || answer.errors?.length) return false;
  return JSON.stringify(answer.data).includes('"distance"');
}

async function readyStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return undefined;
  }
}

async function firstImageId(url: string): Promise<string | undefined> {
  const answer = await post(url, '{ images(first: 1) { edges { node { id } } } }');
  const edges = (answer?.data?.images as { edges?: { node: { id: string } }[] } | undefined)?.edges;
  return edges?.[0]?.node.id;
}

const REQUEST_LINE = /(GET|POST) \/[a-z]*/;
const PHASE_LINE = /words ready|images ready|image projection|model saved|HNSW index|started in|ready:|seed timeline:|beyond WORDS_LIMIT/;

function startServer(options: FirstStartOptions, phaseLog: string[]): ChildProcess {
  // Its own process group: npm, tsx and node are stopped together.
  const child = spawn('npm', ['start'], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, DATA_DIR: options.dataDir, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const collect = (chunk: Buffer) => {
    // Request log lines may quote a phase ("fitting the image projection"): not the server's own.
    for (const line of chunk.toString('utf8').split(/[\r\n]+/)) {
      if (PHASE_LINE.test(line) && !REQUEST_LINE.test(line)) phaseLog.push(line.trim());
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return child;
}

/** Ended by a signal, a process has no exit code but a signal code. */
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Signals the server's process group; it may be gone already. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signalGroup(child, 'SIGINT');
  await Promise.race([exited, sleep(30_000)]);
  if (running(child)) signalGroup(child, 'SIGKILL');
}

/** Asks every question until each has been answered once and /readyz is 200. */
async function watch(url: string, started: number, options: FirstStartOptions, child: ChildProcess): Promise<StartRun> {
  const run: StartRun = { firstAnswerSeconds: {}, phaseLog: [] };
  const since = () => Math.round((Date.now() - started) / 100) / 10;
  let imageId: string | undefined;
  const checkReady = async () => {
    if (run.readySeconds === undefined && (await readyStatus(url)) === 200) {
      run.readySeconds = since();
      options.log(`/readyz 200 after ${run.readySeconds} s`);
    }
  };
  while (Date.now() - started < options.timeoutSeconds * 1000) {
    if (!running(child)) throw new Error(`npm start exited (${child.exitCode ?? child.signalCode})`);
    // Before the questions as well as after: asking four of them takes a few tenths of a second, a restart's share.
    await checkReady();
    for (const question of Object.keys(QUESTIONS) as Question[]) {
      if (run.firstAnswerSeconds[question] !== undefined) continue;
      if (question === 'tagsForImage') imageId ??= await firstImageId(url);
      const query = QUESTIONS[question](imageId);
      if (query && answered(await post(url, query))) {
        run.firstAnswerSeconds[question] = since();
        options.log(`${question} first answered after ${run.firstAnswerSeconds[question]} s`);
      }
    }
    await checkReady();
    if (run.readySeconds !== undefined && Object.keys(run.firstAnswerSeconds).length === 4) break;
    await sleep(Date.now() - started < EARLY_SECONDS * 1000 ? EARLY_POLL_MS : POLL_MS);
  }
  return run;
}

async function oneStart(options: FirstStartOptions, label: string): Promise<StartRun> {
  const phaseLog: string[] = [];
  options.log(`${label}: npm start on ${options.dataDir}`);
  const started = Date.now();
  const child = startServer(options, phaseLog);
  try {
    const run = await watch(`http://127.0.0.1:${options.port}`, started, options, child);
    const timeline = parseTimeline(phaseLog);
    return { ...run, phaseLog, ...(timeline.length > 0 ? { criticalPath: describeCriticalPath(timeline) } : {}) };
  } finally {
    await stopServer(child);
  }
}

/** A restart of a store seeded before (`--restart DIR`): time to each first answer and to ready. */
export async function benchRestart(options: FirstStartOptions): Promise<{ result: StartRun; rows: TableRow[] }> {
  const restart = await oneStart(options, 'restart');
  const seconds = (value: number | undefined) => (value === undefined ? `not within ${options.timeoutSeconds} s` : `${value} s`);
  return {
    result: restart,
    rows: [
      { metric: 'restart: /readyz 200', value: seconds(restart.readySeconds), goal: '<= 3 s' },
      ...(Object.keys(QUESTIONS) as Question[]).map((question) => ({
        metric: `restart: ${question} first answered`,
        value: seconds(restart.firstAnswerSeconds[question]),
      })),
      ...restart.phaseLog.map((line) => ({ metric: 'restart log', value: line })),
    ],
  };
}

export async function benchFirstStart(options: FirstStartOptions): Promise<{ result: FirstStartResult; rows: TableRow[] }> {
  const firstStart = await oneStart(options, 'first start');
  // Not ready within the timeout: the second start resumes the seed, and is no restart's measure.
  const restartLabel = firstStart.readySeconds === undefined ? 'second start (resumes the seed)' : 'restart';
  const restart = await oneStart(options, restartLabel);
  const seconds = (value: number | undefined) => (value === undefined ? `not within ${options.timeoutSeconds} s` : `${value} s`);
  const rows: TableRow[] = [
    ...(Object.keys(QUESTIONS) as Question[]).map((question) => ({
      metric: `first start: ${question} first answered`,
      value: seconds(firstStart.firstAnswerSeconds[question]),
      goal: question === 'similarWords' ? '<= 60 s' : '<= 180 s',
    })),
    { metric: 'first start: /readyz 200', value: seconds(firstStart.readySeconds), goal: '<= 180 s' },
    { metric: `${restartLabel}: /readyz 200`, value: seconds(restart.readySeconds), goal: '<= 3 s' },
    { metric: `${restartLabel}: similarWords first answered`, value: seconds(restart.firstAnswerSeconds.similarWords) },
    ...(firstStart.criticalPath ?? ['(this server logs no seed timeline)']).map((line) => ({
      metric: 'first start: critical path (s since the server process started)',
      value: line,
    })),
    ...firstStart.phaseLog.map((line) => ({ metric: 'first start log', value: line })),
    ...restart.phaseLog.map((line) => ({ metric: `${restartLabel} log`, value: line })),
  ];
  return { result: { dataDir: options.dataDir, firstStart, restart }, rows };
}

/** One side of a restart comparison: its checkout and the store its first start seeded. */
export interface RestartSide {
  label: string;
  options: FirstStartOptions;
}

export interface RestartRounds {
  /** Seconds to /readyz 200 per round, each side. */
  thisSeconds: number[];
  againstSeconds: number[];
  /** this / against, per round. */
  ratio: RatioSummary;
}

/**
 * Restarts of both seeded stores in alternating rounds (ABBA, so a drift of
 * the machine's load weighs on both sides alike): one restart is about 2 s,
 * and a single pair cannot resolve 20%.
 */
export async function benchRestartRounds(current: RestartSide, against: RestartSide, rounds: number): Promise<RestartRounds> {
  const thisSeconds: number[] = [];
  const againstSeconds: number[] = [];
  const ready = async (side: RestartSide, round: number) => {
    const run = await oneStart(side.options, `restart round ${round + 1}/${rounds}`);
    if (run.readySeconds === undefined) throw new Error(`${side.label}: not ready within ${side.options.timeoutSeconds} s on a restart`);
    return run.readySeconds;
  };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ([against, current] as const) : ([current, against] as const);
    for (const side of order) (side === current ? thisSeconds : againstSeconds).push(await ready(side, round));
  }
  return { thisSeconds, againstSeconds, ratio: summarizeRatios(thisSeconds.map((seconds, i) => seconds / againstSeconds[i]!)) };
}

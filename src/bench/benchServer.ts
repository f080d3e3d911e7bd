// One side of a comparison: `src/cli/start.ts` of a checkout as its own
// process (run by node itself, so its pid is the server's, whose CPU is read
// from /proc), on a store of its own; started, waited for until /readyz is
// 200, and stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BenchServer {
  pid: number;
  url: string;
  /** Seconds from the spawn to /readyz 200 (a first start seeds the store). */
  readySeconds: number;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  label: string;
  /** The checkout to run. */
  dir: string;
  env: NodeJS.ProcessEnv;
  timeoutSeconds: number;
  log: (message: string) => void;
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function readyzStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return undefined;
  }
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
    cwd: options.dir,
    env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last lines, to say why a server did not get ready.
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (!running(child)) return;
    child.kill('SIGINT');
    await Promise.race([exited, sleep(30_000)]);
    if (running(child)) child.kill('SIGKILL');
  };
  const started = Date.now();
  options.log(`${options.label}: starting ${options.dir} (the first start seeds its store)`);
  while ((await readyzStatus(url)) !== 200) {
    const failed = !running(child) ? 'exited' : Date.now() - started > options.timeoutSeconds * 1000 ? 'timed out' : undefined;
    if (failed) {
      await stop();
      throw new Error(`${options.label}: the server ${failed} before /readyz was 200; its last lines:\n${tail.join('\n')}`);
    }
    await sleep(500);
  }
  const readySeconds = (Date.now() - started) / 1000;
  options.log(`${options.label}: ready after ${readySeconds.toFixed(1)} s`);
  return { pid: child.pid!, url, readySeconds, stop };
}

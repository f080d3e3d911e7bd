// The hostile bench's loads that hold connections or read photos, in a
// process of their own (like hostileClient.ts); the cheap query beside each
// is sent by the bench itself (hostileLoads.ts), not from this process at the
// lowest priority, whose own work would be measured.
// One JSON spec in (argv), one JSON result out (stdout):
//   { load: 'trickle', url, seconds }           16 sockets declaring 70,000 bytes, one byte every 5 s; a real upload every second
//   { load: 'chunked', url, seconds, jpegFile } 32 chunked uploads of a large photo at once, again as each ends
//   { load: 'photoReads', url, seconds, id }    16 readers of a large stored photo's thumbnails (changing widths) and original
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setPriority } from 'node:os';
import { distinctJpeg, SIMILAR_BY_IMAGE } from './hostileShapes.js';

export type LoadSpec =
  | { load: 'trickle'; url: string; seconds: number; jpegFile: string }
  | { load: 'chunked'; url: string; seconds: number; jpegFile: string }
  | { load: 'photoReads'; url: string; seconds: number; id: string };

export interface LoadResult {
  /** Requests of the load, by HTTP status (0: no answer). */
  statuses: Record<string, number>;
  /** trickle: real uploads answered 200, of those sent. */
  realUploads?: { sent: number; answered: number };
}

try {
  setPriority(19);
} catch {
  // Not permitted: the figures then include the clients' own CPU.
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const port = Number(new URL(spec.url).port);
const result: LoadResult = { statuses: {} };
const bump = (status: number) => (result.statuses[status] = (result.statuses[status] ?? 0) + 1);
const deadline = performance.now() + spec.seconds * 1000;
const running = () => performance.now() < deadline;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A POST /graphql on a raw socket: headers, then `send` writes the body; resolves with the status (0: none). */
function rawPost(head: string, send: (socket: net.Socket) => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = (status: number) => {
      socket.destroy();
      resolve(status);
    };
    socket.on('error', () => done(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
    socket.on('close', () => done(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (/^HTTP\/1\.1 \d+/.test(text) && text.includes('\r\n\r\n')) done(Number(/^HTTP\/1\.1 (\d+)/.exec(text)![1]));
    });
    socket.on('connect', () => {
      socket.write(`POST /graphql HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n${head}\r\n`);
      send(socket).catch(() => undefined);
    });
  });
}

async function trickle(jpeg: Buffer): Promise<void> {
  const trickler = async () => {
    while (running()) {
      bump(
        await rawPost('content-length: 70000\r\n', async (socket) => {
          while (!socket.destroyed && running()) {
            socket.write('{');
            await sleep(5_000);
          }
        }),
      );
    }
  };
  const real = { sent: 0, answered: 0 };
  result.realUploads = real;
  const uploader = async () => {
    for (let k = 0; running(); k++) {
      real.sent++;
      const body = JSON.stringify({ query: SIMILAR_BY_IMAGE, variables: { b: distinctJpeg(jpeg, k).toString('base64') } });
      const response = await fetch(`${spec.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (response.status === 200) real.answered++;
      await sleep(1_000);
    }
  };
  await Promise.all([...Array.from({ length: 16 }, trickler), uploader()]);
}

async function chunked(jpeg: Buffer): Promise<void> {
  // Built before the load: making a 10 MB body per upload would measure this process.
  const bodies = Array.from({ length: 8 }, (_, k) =>
    Buffer.from(JSON.stringify({ query: SIMILAR_BY_IMAGE, variables: { b: distinctJpeg(jpeg, k).toString('base64') } })),
  );
  let k = 0;
  const uploader = async () => {
    while (running()) {
      const body = bodies[k++ % bodies.length]!;
      bump(
        await rawPost('transfer-encoding: chunked\r\n', async (socket) => {
          for (let at = 0; at < body.length && !socket.destroyed; at += 256 * 1024) {
            const piece = body.subarray(at, at + 256 * 1024);
            if (!socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]))) {
              await new Promise((resolve) => socket.once('drain', resolve));
            }
          }
          socket.write('0\r\n\r\n');
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 32 }, uploader));
}

async function photoReads(id: string): Promise<void> {
  let k = 0;
  const reader = async () => {
    while (running()) {
      // Widths repeat: after the first round, thumbnails come from the cache; every fifth read is the original.
      const n = k++;
      const path = n % 5 === 4 ? `/images/${id}` : `/images/${id}?w=${100 + (n % 8) * 50}`;
      try {
        const response = await fetch(`${spec.url}${path}`);
        await response.arrayBuffer();
        bump(response.status);
      } catch {
        bump(0);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, reader));
}

const load =
  spec.load === 'trickle'
    ? trickle(readFileSync(spec.jpegFile))
    : spec.load === 'chunked'
      ? chunked(readFileSync(spec.jpegFile))
      : photoReads(spec.id);
await load;
process.stdout.write(JSON.stringify(result));
// Sockets left trickling would keep the process alive.
process.exit(0);

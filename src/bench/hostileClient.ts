// The hostile bench's clients, in a process of their own so the server's RSS
// is the server's alone. One JSON spec in (argv), one JSON result out (stdout):
//   { mode: 'shape', url, shape, seconds, jpegFile? }  a shape's requests, `concurrency` at once
//   { mode: 'flood', url, clients, seconds, jpegFile }  addImage of new bytes, refusals retried at once
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { ADD_IMAGE, distinctJpeg, requestShapes, uploadShape, type Shape } from './hostileShapes.js';

export type ClientSpec =
  | { mode: 'shape'; url: string; shape: string; seconds: number; jpegFile?: string }
  | { mode: 'flood'; url: string; clients: number; seconds: number; jpegFile: string; firstK: number };

export interface ClientResult {
  requests: number;
  seconds: number;
  /** HTTP status → count; 0 is a failed connection. */
  statuses: Record<string, number>;
  /** extensions.code of the first error → count. */
  codes: Record<string, number>;
  /** Requests answered with data and no error. */
  answered: number;
  /** Retry-After values seen on 503 answers. */
  retryAfter: string[];
  firstFailure?: string;
}

/**
 * Lowest CPU priority: on a machine of two cores, clients resending at once
 * would otherwise take the CPU the server's embedding thread needs, which
 * measures the machine, not the server (whose clients are elsewhere).
 */
const CLIENT_NICENESS = 19;
try {
  setPriority(CLIENT_NICENESS);
} catch {
  // Not permitted: the figures then include the clients' own CPU.
}

const spec = JSON.parse(process.argv[2]!) as ClientSpec;
const result: ClientResult = { requests: 0, seconds: 0, statuses: {}, codes: {}, answered: 0, retryAfter: [] };
const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

async function send(body: string): Promise<void> {
  result.requests++;
  try {
    const response = await fetch(`${spec.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    bump(result.statuses, String(response.status));
    const retryAfter = response.headers.get('retry-after');
    if (response.status === 503 && retryAfter && result.retryAfter.length < 20) result.retryAfter.push(retryAfter);
    const answer = (await response.json().catch(() => ({}))) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    if (answer.errors?.length) bump(result.codes, answer.errors[0]!.extensions?.code ?? 'none');
    else if (answer.data) result.answered++;
  } catch (err) {
    bump(result.statuses, '0');
    result.firstFailure ??= String((err as Error).cause ?? (err as Error).message);
  }
}

const started = performance.now();
const deadline = started + spec.seconds * 1000;
const jpeg = spec.jpegFile ? readFileSync(spec.jpegFile) : undefined;

if (spec.mode === 'shape') {
  const shapes: Shape[] = [...requestShapes(), ...(jpeg ? [uploadShape(jpeg)] : [])];
  const shape = shapes.find((s) => s.name === spec.shape)!;
  let next = 0;
  const client = async () => {
    for (let k = next++; k < shape.count && performance.now() < deadline; k = next++) await send(shape.body(k));
  };
  await Promise.all(Array.from({ length: shape.concurrency }, client));
} else {
  let k = spec.firstK;
  const client = async () => {
    while (performance.now() < deadline) {
      // New bytes each time: a refused photo is sent again as another new one, at once.
      await send(JSON.stringify({ query: ADD_IMAGE, variables: { b: distinctJpeg(jpeg!, k++).toString('base64') } }));
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, client));
}
result.seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify(result));

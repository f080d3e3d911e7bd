// The upload gate against clients that hold its slots, on each store: 16
// sockets that trickle their declared bodies lose their slots at the rate
// floor (408) and a real upload gets in; chunked bodies are counted, limited
// and timed as uploads; Retry-After comes from the uploads in progress.
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { listPascalImages } from '../src/dataset/pascal.js';
import { MAX_BODY_BYTES, UPLOADS_AT_ONCE } from '../src/http/limits.js';
import type { RunningServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { createTestApp, OPEN_WRITES, startTestServer, type TestApp } from './helpers/app.js';
import { realAssetsDir } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const FLOOR = 16 * 1024;
const TIMEOUTS = { headersSeconds: 5, bodySeconds: 1, uploadBodySeconds: 4, keepAliveSeconds: 5 };
const SIMILAR = 'query ($b: String!) { similarImages(image: { base64: $b }, first: 3) { distance } }';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Seconds from the connection to the answer. */
  seconds: number;
}

/**
 * A POST /graphql on a socket of its own: `head` headers, then `send` writes
 * the body as it likes. Resolves with the answer, or undefined when none came
 * within `ms`.
 */
function rawPost(
  port: number,
  head: Record<string, string>,
  send: (socket: net.Socket, stopped: () => boolean) => Promise<void> | void,
  ms = 15_000,
): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (answer: RawAnswer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    socket.on('error', () => undefined);
    socket.on('close', () => finish(parse(text, started)));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const answer = parse(text, started);
      if (answer && answer.body !== undefined) finish(answer);
    });
    socket.on('connect', () => {
      const lines = Object.entries({ host: '127.0.0.1', 'content-type': 'application/json', ...head }).map(([k, v]) => `${k}: ${v}`);
      socket.write(`POST /graphql HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      void Promise.resolve(send(socket, () => done)).catch(() => undefined);
    });
  });
}

/** An HTTP answer read so far, once its headers and whole body (by content-length) are in. */
function parse(text: string, started: number): RawAnswer | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const body = text.slice(end + 4);
  if (Number(headers['content-length'] ?? -1) !== Buffer.byteLength(body, 'latin1')) return undefined;
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Node's own bare answers (431, a bare 408) are not JSON.
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: parsed, seconds: (performance.now() - started) / 1000 };
}

/** A body that trickles: one byte every `everyMs` until the socket is done. */
const trickle = (everyMs: number) => async (socket: net.Socket, stopped: () => boolean) => {
  while (!stopped() && !socket.destroyed) {
    socket.write('{');
    await sleep(everyMs);
  }
};

/** A chunked body of `total` bytes of valid JSON, written `chunk` bytes every `everyMs`. */
const chunkedJson = (total: number, chunk: number, everyMs: number) => async (socket: net.Socket, stopped: () => boolean) => {
  const body = Buffer.from(JSON.stringify({ query: '{ __typename }', variables: { pad: 'p'.repeat(Math.max(0, total - 60)) } }));
  for (let at = 0; at < body.length && !stopped(); at += chunk) {
    const piece = body.subarray(at, at + chunk);
    socket.write(`${piece.length.toString(16)}\r\n`);
    socket.write(piece);
    socket.write('\r\n');
    await sleep(everyMs);
  }
  if (!stopped()) socket.write('0\r\n\r\n');
};

async function realUpload(url: string, photo: Buffer): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: SIMILAR, variables: { b: photo.toString('base64') } }),
  });
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
}

for (const kind of storeKinds()) {
  describe(`upload slots on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let photo: Buffer;

    before(async () => {
      t = await createTestApp(kind, { NODE_ENV: 'production', EMBED_WORKERS: '1' });
      await t.app.loadModels();
      server = await startTestServer(t.app, {
        writes: OPEN_WRITES,
        logger: createLogger('silent'),
        timeouts: TIMEOUTS,
        uploads: { minBytesPerSecond: FLOOR },
      });
      // About 210 KB, as in the report.
      const source = readFileSync(listPascalImages(realAssetsDir())[0]!.file);
      photo = await sharp(source).resize({ width: 1000 }).jpeg({ quality: 95 }).toBuffer();
      assert.ok(photo.length > 100_000, `${photo.length} bytes`);
    });
    after(async () => {
      await server?.close();
      await t?.close();
    });

    test('16 trickling sockets lose their slots at the rate floor, and a real upload gets in', async () => {
      const tricklers = Array.from({ length: UPLOADS_AT_ONCE }, () =>
        rawPost(server.port, { 'content-length': '70000' }, trickle(500)),
      );
      await sleep(300);
      // While they hold every slot: refused from the headers, with how long the uploads in progress should take.
      const refused = await realUpload(server.url, photo);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.errors[0].extensions.code, 'OVERLOADED');
      assert.match(String(refused.retryAfter), /^[1-9]\d*$/);
      // 70,000 bytes at the floor take about 4 s, plus handling.
      assert.ok(Number(refused.retryAfter) >= 4 && Number(refused.retryAfter) <= 8, `Retry-After ${refused.retryAfter}`);

      const answers = await Promise.all(tricklers);
      for (const answer of answers) {
        assert.equal(answer?.status, 408);
        assert.equal(answer?.body.errors[0].extensions.code, 'REQUEST_TIMEOUT');
        assert.match(answer!.body.errors[0].message, /bytes\/s/);
        // Cut after the first second, long before the 4 s upload deadline.
        assert.ok(answer!.seconds >= 1 && answer!.seconds < 2.5, `${answer!.seconds} s`);
      }
      const real = await realUpload(server.url, photo);
      assert.equal(real.status, 200, JSON.stringify(real.body).slice(0, 300));
      assert.ok(Array.isArray(real.body.data.similarImages));
    });

    test('an upload that moves at the floor keeps its slot to the end', async () => {
      // 64 KiB/s for about 2 s: past the 1 s body deadline, which a chunked body no longer gets.
      const answer = await rawPost(server.port, { 'transfer-encoding': 'chunked' }, chunkedJson(128 * 1024, 8 * 1024, 125));
      assert.equal(answer?.status, 200, JSON.stringify(answer?.body).slice(0, 300));
      assert.deepEqual(answer?.body.data, { __typename: 'Query' });
      assert.ok(answer!.seconds > 1.5, `${answer!.seconds} s`);
    });

    test('chunked uploads count against the gate, its byte limit and its deadline', async () => {
      // 16 chunked bodies moving at 64 KiB/s for about 3 s hold every slot...
      const holders = Array.from({ length: UPLOADS_AT_ONCE }, () =>
        rawPost(server.port, { 'transfer-encoding': 'chunked' }, chunkedJson(192 * 1024, 8 * 1024, 125)),
      );
      await sleep(400);
      // ...so a 17th chunked one is refused from its headers.
      const seventeenth = await rawPost(server.port, { 'transfer-encoding': 'chunked' }, () => undefined, 3_000);
      assert.equal(seventeenth?.status, 503);
      assert.equal(seventeenth?.body.errors[0].extensions.code, 'OVERLOADED');
      assert.ok(seventeenth!.seconds < 1, `${seventeenth!.seconds} s`);
      for (const answer of await Promise.all(holders)) assert.equal(answer?.status, 200);

      // A chunked body past the byte limit: 413, as with a Content-Length.
      const tooLarge = await rawPost(server.port, { 'transfer-encoding': 'chunked' }, chunkedJson(MAX_BODY_BYTES + 1024 * 1024, 1024 * 1024, 0));
      assert.equal(tooLarge?.status, 413);
      assert.equal(tooLarge?.body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');

      // Moving fast enough but slower than the upload deadline allows: 408 at the upload deadline, not the 1 s of small bodies.
      const slow = await rawPost(server.port, { 'transfer-encoding': 'chunked' }, chunkedJson(512 * 1024, 8 * 1024, 250));
      assert.equal(slow?.status, 408);
      assert.match(slow!.body.errors[0].message, new RegExp(`within ${TIMEOUTS.uploadBodySeconds} s`));
      assert.ok(slow!.seconds >= TIMEOUTS.uploadBodySeconds * 0.9, `${slow!.seconds} s`);

      const afterwards = await realUpload(server.url, photo);
      assert.equal(afterwards.status, 200);
    });
  });
}

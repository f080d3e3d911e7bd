// What `npm run bench -- --against` measures with: the CPU clock for another
// process (src/bench/procCpu.ts), fine enough to count a few milliseconds
// where /proc/<pid>/stat's 10 ms ticks read 0 or 10, compared with the
// process's own clock for the same work; one-client requests that take turns
// between two servers (src/bench/sequentialRequests.ts); and the rounds'
// share among server pairs (src/bench/against.ts).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { roundGroups } from '../src/bench/against.js';
import { processCpuSeconds } from '../src/bench/procCpu.js';
import { runInterleaved } from '../src/bench/sequentialRequests.js';

/** Spins until this process's own clock has counted `ms` more of CPU; returns what it counted. */
function spinCpu(ms: number): number {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    const usedMs = (used.user + used.system) / 1000;
    if (usedMs >= ms) return usedMs;
  }
}

test('a process’s CPU time is read to well under a clock tick', () => {
  // Warm both paths first: the first read loads code and allocates.
  processCpuSeconds(process.pid);
  spinCpu(1);
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = processCpuSeconds(process.pid)!;
    const ownMs = spinCpu(3);
    const readMs = (processCpuSeconds(process.pid)! - before) * 1000;
    // The other threads (garbage collection, libuv) may add a little; ticks would read 0 or 10.
    if (readMs >= ownMs * 0.8 && readMs < ownMs + 4) return;
  }
  assert.fail('three 3 ms spins were not read within 0.8× to +4 ms of the process’s own clock');
});

test('a process that is gone reads as undefined', () => {
  assert.equal(processCpuSeconds(2 ** 22 + 12345), undefined);
});

/** A server that notes `name` for each request it answers, in the shared `arrivals`. */
async function recordingServer(name: string, arrivals: string[], answer: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(name);
      res.setHeader('content-type', 'application/json');
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('one-client requests take turns between servers, which goes first alternating, each answered and timed', async () => {
  const arrivals: string[] = [];
  const a = await recordingServer('a', arrivals, '{"data":{}}');
  const b = await recordingServer('b', arrivals, '{"errors":[{"message":"no"}]}');
  try {
    const [ofA, ofB] = await runInterleaved([a.url, b.url], ['{"query":"{ x }"}'], 4);
    assert.deepEqual(arrivals, ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    assert.equal(ofA!.latenciesMs.length, 4);
    assert.equal(ofA!.errors, 0);
    assert.equal(ofB!.latenciesMs.length, 4);
    assert.equal(ofB!.errors, 4, 'a GraphQL error counts as an error');
    assert.match(ofB!.firstError!, /^200 .*no/);
    assert.ok([...ofA!.latenciesMs, ...ofB!.latenciesMs].every((ms) => ms > 0 && Number.isFinite(ms)));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('the rounds are shared among the server pairs, in order, none left out', () => {
  const covered = (groups: { from: number; to: number }[]) => groups.flatMap(({ from, to }) => Array.from({ length: to - from }, (_, i) => from + i));
  assert.deepEqual(roundGroups(20, 4), [{ from: 0, to: 5 }, { from: 5, to: 10 }, { from: 10, to: 15 }, { from: 15, to: 20 }]);
  for (const [rounds, starts] of [[5, 4], [7, 3], [2, 4], [12, 1], [1, 1]] as const) {
    const groups = roundGroups(rounds, starts);
    assert.equal(groups.length, Math.min(rounds, starts), `${rounds} rounds, ${starts} starts`);
    assert.deepEqual(covered(groups), Array.from({ length: rounds }, (_, i) => i), `${rounds} rounds, ${starts} starts`);
    assert.ok(groups.every(({ from, to }) => to > from), `${rounds} rounds, ${starts} starts: no empty group`);
  }
});

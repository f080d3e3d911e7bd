// `npm run bench -- --first-start --against HEAD` end to end on a tiny
// embedded store (the tests' small GloVe file, 24 photos): both sides run this
// commit through `npm start`, each seeding its own store, then restart in
// alternating rounds; the restart ratio must be finite and near 1 (loosely:
// the machine may be shared), with an interval around its median.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tinyBenchEnv } from './helpers/benchEnv.js';
import { freePort } from '../src/bench/benchServer.js';

const ROUNDS = 2;

interface RestartRounds {
  thisSeconds: number[];
  againstSeconds: number[];
  ratio: { median: number; ci95: [number, number]; rounds: number };
}

describe('bench --first-start --against HEAD on a tiny embedded store', () => {
  test('both first starts get ready, then alternating restarts give a ratio near 1 with an interval', { timeout: 900_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-bench-first-start-'));
    try {
      const env = { ...(await tinyBenchEnv()), IMAGES_LIMIT: '24', PORT: String(await freePort()) };
      const file = path.join(dir, 'results.json');
      const args = ['--import', 'tsx', 'src/cli/bench.ts', '--first-start', '--against', 'HEAD', '--first-start-dir', dir];
      args.push('--restart-rounds', String(ROUNDS), '--first-start-timeout', '600', '--out', file);
      await promisify(execFile)(process.execPath, args, { env, maxBuffer: 1 << 24 });
      const results = JSON.parse(readFileSync(file, 'utf8')) as {
        firstStart: { firstStart: { readySeconds?: number } };
        firstStartAgainst: { firstStart: { readySeconds?: number } };
        restartRounds: RestartRounds;
      };
      assert.ok(results.firstStart.firstStart.readySeconds! > 0, 'this side got ready');
      assert.ok(results.firstStartAgainst.firstStart.readySeconds! > 0, 'the other side got ready');
      const { thisSeconds, againstSeconds, ratio } = results.restartRounds;
      assert.equal(thisSeconds.length, ROUNDS);
      assert.equal(againstSeconds.length, ROUNDS);
      for (const seconds of [...thisSeconds, ...againstSeconds]) assert.ok(seconds > 0 && seconds < 120, `restart took ${seconds} s`);
      assert.equal(ratio.rounds, ROUNDS);
      assert.ok(ratio.median > 0.25 && ratio.median < 4, `restart ratio ${ratio.median}`);
      assert.ok(ratio.ci95[0] <= ratio.median && ratio.median <= ratio.ci95[1], `${ratio.median} outside ${ratio.ci95}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `npm run bench -- --against HEAD` end to end on a tiny store (the tests'
// small GloVe file, 24 photos): both sides run this commit, each seeded by its
// own first start, so every ratio must be finite and near 1 (loosely: the
// machine may be shared), with an interval around its median, and
// bench/results.json must hold each question's rounds and both sides' stores.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tinyBenchEnv } from './helpers/benchEnv.js';
import { SERVER_ADMIN_URL, storeKinds } from './helpers/stores.js';

const ROUNDS = 4;
const QUESTIONS = ['similarImages(id)', 'similarWords', 'imagesForText', 'tagsForImage', 'similarImages(id), 16 clients'];

interface Ratio {
  median: number;
  ci95: [number, number];
}
interface Compared {
  this: number;
  against: number;
  ratio: Ratio;
}
interface Block {
  requests: number;
  errors: number;
  cpuMsPerRequest: number;
  pgCpuMsPerRequest?: number;
}
interface AgainstResults {
  this: { commit: string };
  against: { commit: string };
  store: string;
  rounds: number;
  serverStarts: number;
  stores: Record<'this' | 'against', { images: number; readySeconds: number }>;
  loadAverage: { start: number[]; end: number[] };
  questions: Record<
    string,
    {
      wall: Compared & { metric: string };
      cpuMsPerRequest: Compared;
      pgCpuMsPerRequest?: Compared;
      nodeOverPostgresCpu?: Record<'this' | 'against', number>;
      rounds: Record<'this' | 'against', Block>[];
    }
  >;
}

function assertNearOne(name: string, compared: Compared): void {
  const { median, ci95 } = compared.ratio;
  assert.ok(Number.isFinite(median) && median > 0.25 && median < 4, `${name}: ratio ${median}`);
  assert.ok(ci95[0] <= median && median <= ci95[1], `${name}: ${median} outside its interval ${ci95}`);
  assert.ok(compared.this > 0 && compared.against > 0, `${name}: ${compared.this} / ${compared.against}`);
}

for (const kind of storeKinds()) {
  describe(`bench --against HEAD on a tiny ${kind} store`, () => {
    test('each question has a finite ratio near 1 with an interval, from rounds without errors', { timeout: 600_000 }, async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'semsearch-bench-against-'));
      try {
        const env = await tinyBenchEnv(kind === 'postgres' ? SERVER_ADMIN_URL : undefined);
        const file = path.join(out, 'results.json');
        const args = ['--import', 'tsx', 'src/cli/bench.ts', '--against', 'HEAD', '--store', kind, '--images-limit', '24'];
        // Starting the servers again between rounds is the same code on both stores: tried on one, to keep CI short.
        const serverStarts = kind === 'pglite' ? 2 : 1;
        args.push('--against-rounds', String(ROUNDS), '--server-starts', String(serverStarts), '--requests', '20', '--load-seconds', '0.5', '--out', file);
        await promisify(execFile)(process.execPath, args, { env, maxBuffer: 1 << 24 });
        const results = (JSON.parse(readFileSync(file, 'utf8')) as { against: AgainstResults }).against;

        assert.equal(results.store, kind);
        assert.equal(results.rounds, ROUNDS);
        assert.equal(results.serverStarts, serverStarts, 'the rounds shared among that many server pairs');
        assert.match(results.against.commit, /^[0-9a-f]{40}$/);
        assert.equal(results.this.commit, results.against.commit, 'HEAD is this checkout');
        assert.equal(results.stores.this.images, 24);
        assert.equal(results.stores.against.images, 24, 'both stores hold the same photos');
        assert.equal(results.loadAverage.start.length, 3);
        assert.deepEqual(Object.keys(results.questions), QUESTIONS);
        for (const [name, question] of Object.entries(results.questions)) {
          assert.equal(question.rounds.length, ROUNDS, name);
          for (const pair of question.rounds) {
            for (const block of [pair.this, pair.against]) {
              assert.ok(block.requests > 0 && block.errors === 0, `${name}: ${JSON.stringify(block)}`);
            }
          }
          assertNearOne(`${name} wall`, question.wall);
          assertNearOne(`${name} CPU`, question.cpuMsPerRequest);
          if (kind === 'postgres') {
            assertNearOne(`${name} PostgreSQL CPU`, question.pgCpuMsPerRequest!);
            assert.ok(Number.isFinite(question.nodeOverPostgresCpu!.this), name);
          } else {
            assert.equal(question.pgCpuMsPerRequest, undefined);
          }
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

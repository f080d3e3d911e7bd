// Queries that would hold the store, on each store: the cost rule refuses the
// fan-outs of issue 24 (10 aliases of 100 nested searches) with their cost and
// the limit (what it allows costs time in proportion to its cost: measured
// by `npm run bench`, src/bench/costRule.ts); a question
// past its time budget is answered TIMEOUT and stops; a disconnected client's
// request stops at its next database call; and beside heavy queries, a cheap
// one and the readiness probe still answer within a second.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parse } from 'graphql';
import { COST_SHAPES } from '../src/bench/costRule.js';
import { buildSchema } from '../src/graphql/schema.js';
import { QUERY_LIMITS } from '../src/http/limits.js';
import { queryCost } from '../src/http/queryCost.js';
import type { RunningServer } from '../src/http/server.js';
import { OPEN_WRITES, serveDuringSuite, startTestServer, type TestApp } from './helpers/app.js';
import { storeKinds } from './helpers/stores.js';

const CATEGORIES = ['cat', 'dog', 'horse'];
const PER_CATEGORY = 8;

const aliases = (n: number, field: (i: number) => string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;
/** The reported shapes: 10 aliases of 100 parents, each with a nested search. */
const WORD_FAN_OUT = aliases(10, () => 'similarWords(word: "dog", first: 100) { word { similar(first: 1) { distance } } }');
const IMAGE_FAN_OUT = aliases(10, () => 'images(first: 100) { edges { node { similar(first: 1) { distance } } } }');
/** Allowed fan-outs: `n` aliases of 100 words (distinct words each) or of the collection's photos, each with a nested search. */
const PARENT_WORDS = ['dog', 'car', 'water'];
const wordFanOut = (n: number, first = 1) =>
  aliases(n, (i) => `similarWords(word: "${PARENT_WORDS[i]}", first: 100) { word { similar(first: ${first}) { distance } } }`);
const imageFanOut = (n: number, first = 24) => aliases(n, () => `images(first: ${first}) { edges { node { similar(first: 1) { distance } } } }`);

interface Answer {
  status: number;
  ms: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(url: string, query: string, signal?: AbortSignal): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal,
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, ms: performance.now() - started, body };
}

/** A counter's value in GET /metrics text (0 when absent). */
async function counter(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Runs `heavy` in `clients` loops until `probe` is done; the probe's result and every heavy answer. */
async function beside<T>(url: string, heavy: string, clients: number, probe: () => Promise<T>): Promise<{ probed: T; heavy: Answer[] }> {
  let running = true;
  const answers: Answer[] = [];
  const loops = Array.from({ length: clients }, async () => {
    while (running) answers.push(await post(url, heavy));
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return { probed: await probe(), heavy: answers };
  } finally {
    running = false;
    await Promise.all(loops);
  }
}

const ok = (answer: Answer) => {
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors)?.slice(0, 300));
  return answer;
};

describe('the cost rule', () => {
  const schema = buildSchema();
  const cost = (query: string) => queryCost(schema, parse(query), {})!;

  test('counts each nested search once per parent: the reported fan-outs cost more than the limit', () => {
    assert.ok(cost(WORD_FAN_OUT) > 10_000, `${cost(WORD_FAN_OUT)}`);
    assert.ok(cost(IMAGE_FAN_OUT) > 10_000, `${cost(IMAGE_FAN_OUT)}`);
    assert.ok(cost(wordFanOut(3)) <= QUERY_LIMITS.maxCost, `${cost(wordFanOut(3))}`);
    assert.ok(cost(wordFanOut(1, 5)) > cost(wordFanOut(1, 1)), 'nested lists multiply');
  });

  test('a page after a cursor costs what its first costs; cut and exclude add nothing', () => {
    const page = (args: string) => cost(`{ imagesForText(text: "dog", first: 10${args}) { image { id } cursor } }`);
    assert.equal(page(', after: "x"'), page(''));
    assert.equal(page(', cut: AUTO, exclude: ["sofa"]'), page(''));
    assert.equal(cost('{ similarImages(id: "x", first: 10, after: "x") { cursor } }'), cost('{ similarImages(id: "x", first: 10) { cursor } }'));
    assert.equal(cost('{ similarWords(word: "x", first: 10, after: "x") { cursor } }'), cost('{ similarWords(word: "x", first: 10) { cursor } }'));
  });

  test("the page's queries and the README's examples stay far below the limit", () => {
    for (const query of Object.values(COST_SHAPES).slice(0, 4)) assert.ok(cost(query) < QUERY_LIMITS.maxCost / 5, `${cost(query)}: ${query}`);
    const readme = '{ image(id: "x") { captions tags { word { text } } similar(first: 3) { image { id } } } }';
    assert.ok(cost(readme) < 300, `${cost(readme)}`);
  });
});

for (const kind of storeKinds()) {
  describe(`queries that would hold the store, on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let imageId: string;
    const extraServers: RunningServer[] = [];
    /** Another server on the same app, with its own time budget. */
    const serverWithBudget = async (timeBudgetMs: number) => {
      const started = await startTestServer(t.app, { writes: OPEN_WRITES, timeBudgetMs });
      extraServers.push(started);
      return started;
    };

    after(async () => {
      for (const extra of extraServers) await extra.close();
    });

    serveDuringSuite(
      kind,
      (app, running, photos) => {
        [t, server] = [app, running];
        imageId = photos.images[0]!.id;
      },
      { photos: { categories: CATEGORIES, perCategory: PER_CATEGORY }, seed: true, env: { NODE_ENV: 'production', IMAGES_LIMIT: '0', TRAIN_EPOCHS: '5', REQUEST_TIME_BUDGET_MS: '5000', DATABASE_POOL_SIZE: '2' } },
    );

    test('the 10-alias fan-outs are refused with their cost and the limit, while { categories } answers in under 1 s', async () => {
      const attacks = [WORD_FAN_OUT, IMAGE_FAN_OUT].map((query) => post(server.url, query));
      const cheap = await post(server.url, '{ categories }');
      for (const answer of await Promise.all(attacks)) {
        assert.equal(answer.status, 400);
        assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.match(answer.body.errors![0]!.message, new RegExp(`cost \\d{5,}, at most ${QUERY_LIMITS.maxCost}`));
      }
      ok(cheap);
      assert.ok(cheap.ms < 1000, `${cheap.ms} ms`);
    });

    test('beside 4 clients looping on the heaviest allowed fan-outs, { categories } and /readyz answer in under 1 s', async () => {
      for (const heavy of [wordFanOut(3), imageFanOut(3, 100)]) {
        const { probed, heavy: answers } = await beside(server.url, heavy, 4, async () => {
          const cheap = await post(server.url, '{ categories }');
          const started = performance.now();
          const ready = await fetch(`${server.url}/readyz`);
          return { cheap, readyMs: performance.now() - started, readyStatus: ready.status };
        });
        ok(probed.cheap);
        assert.ok(probed.cheap.ms < 1000, `{ categories } took ${probed.cheap.ms} ms`);
        assert.equal(probed.readyStatus, 200);
        assert.ok(probed.readyMs < 1000, `/readyz took ${probed.readyMs} ms`);
        // Each heavy one was answered whole within its budget, or stopped at it (a busy machine).
        for (const answer of answers) {
          if (answer.body.errors?.[0]?.extensions?.code !== 'TIMEOUT') ok(answer);
          assert.ok(answer.ms < 5000 + 1000, `${answer.ms} ms`);
        }
      }
    });

    test('a question past its time budget is answered TIMEOUT, with no data, and stops; a mutation has no budget', async () => {
      const tight = await serverWithBudget(1);
      const before = await counter(server.url, 'semsearch_requests_stopped_total', 'reason="timeout"');
      const answers = await Promise.all([wordFanOut(3), imageFanOut(3, 100)].map((query) => post(tight.url, query)));
      for (const answer of answers) {
        assert.equal(answer.body.errors?.length, 1, JSON.stringify(answer.body).slice(0, 300));
        assert.equal(answer.body.errors![0]!.extensions?.code, 'TIMEOUT');
        assert.match(answer.body.errors![0]!.message, /time budget of 1 ms/);
        assert.equal(answer.body.data, null);
        assert.ok(answer.ms < 1000, `${answer.ms} ms`);
      }
      assert.equal(await counter(server.url, 'semsearch_requests_stopped_total', 'reason="timeout"'), before + 2);
      const update = await post(tight.url, `mutation { updateImage(id: "${imageId}", category: "dog") { id category } }`);
      assert.equal(ok(update).body.data.updateImage.category, 'dog');
    });

    test('with a 50 ms budget, the heaviest allowed fan-outs are answered whole within it or TIMEOUT soon after it', async () => {
      const budget = await serverWithBudget(50);
      for (const query of [wordFanOut(3), imageFanOut(3, 100)]) {
        const answer = await post(budget.url, query);
        const code = answer.body.errors?.[0]?.extensions?.code;
        if (code === undefined) assert.ok(answer.ms < 50 + 500, `answered in ${answer.ms} ms`);
        else {
          assert.equal(code, 'TIMEOUT');
          assert.ok(answer.ms < 50 + 1000, `TIMEOUT after ${answer.ms} ms`);
        }
      }
    });

    test("a disconnected client's request stops at its next database call", async () => {
      const before = await counter(server.url, 'semsearch_requests_stopped_total', 'reason="disconnected"');
      const controllers = Array.from({ length: 4 }, () => new AbortController());
      const sent = controllers.map((controller) => post(server.url, wordFanOut(3), controller.signal).catch((err: Error) => err));
      await new Promise((resolve) => setTimeout(resolve, 15));
      for (const controller of controllers) controller.abort();
      for (const result of await Promise.all(sent)) assert.ok(result instanceof Error, 'cut off before its answer');
      // Counted when a database call is refused: a request that had made all of its calls is not.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const stopped = await counter(server.url, 'semsearch_requests_stopped_total', 'reason="disconnected"');
      assert.ok(stopped > before, 'the requests cut off stopped at their next database call');
      // The store is free at once for the next client.
      const cheap = ok(await post(server.url, '{ categories }'));
      assert.ok(cheap.ms < 500, `${cheap.ms} ms`);
    });
  });
}

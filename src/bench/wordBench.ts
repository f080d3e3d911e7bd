// Words: recall@10 against exact scans for several ef_search values, then
// similarWords over HTTP at 1 and 16 clients.
import type { App } from '../app.js';
import type { WordIndexParams } from '../repositories/wordRepository.js';
import { graphqlBody, runLoad, type LoadResult } from './httpLoad.js';
import { loadRow, type TableRow } from './benchReport.js';
import { exactWordNeighbours, wordRecallAt, type RecallPoint } from './wordRecall.js';

export const SIMILAR_WORDS_QUERY =
  'query ($word: String!) { similarWords(word: $word, first: 10) { word { text } distance } }';

const RECALL_K = 10;
/** Query words for HTTP load come from the most frequent words (what people type). */
const FREQUENT_RANKS = 20_000;

export interface WordBenchOptions {
  url: string;
  clients: number[];
  durationSeconds: number;
  recallQueries: number;
  efSweep: number[];
}

export interface WordBenchResult {
  words: number;
  index: WordIndexParams;
  efSearch: number;
  recallQueries: number;
  recall: RecallPoint[];
  http: LoadResult[];
}

export async function similarWordsBodies(app: App, n = 100): Promise<string[]> {
  const words = await app.repositories.words.sample(n, FREQUENT_RANKS);
  return words.map((word) => graphqlBody(SIMILAR_WORDS_QUERY, { word }));
}

export async function benchWords(
  app: App,
  options: WordBenchOptions,
  log: (message: string) => void,
): Promise<{ result: WordBenchResult; rows: TableRow[] }> {
  const repository = app.repositories.words;
  const efSearch = app.config.words.efSearch;
  const count = await repository.count();
  const queries = await repository.sample(options.recallQueries, count);

  log(`words: exact ${RECALL_K}-NN of ${queries.length} sampled words (sequential scans)`);
  const truth = await exactWordNeighbours(repository, queries, RECALL_K);
  const efValues = [...new Set([...options.efSweep, efSearch])].sort((a, b) => a - b);
  const recall: RecallPoint[] = [];
  for (const ef of efValues) {
    recall.push(await wordRecallAt(repository, truth, RECALL_K, ef));
    log(`words: ef_search ${ef}: recall@10 ${recall.at(-1)!.recall}, p50 ${recall.at(-1)!.p50Ms} ms`);
  }

  const bodies = await similarWordsBodies(app);
  await runLoad({ label: 'warm-up', url: options.url, bodies, connections: 4, durationSeconds: 2 });
  const http: LoadResult[] = [];
  for (const connections of options.clients) {
    log(`words: similarWords over HTTP, ${connections} clients, ${options.durationSeconds} s`);
    http.push(
      await runLoad({ label: 'similarWords', url: options.url, bodies, connections, durationSeconds: options.durationSeconds }),
    );
  }

  const rows: TableRow[] = [
    { metric: 'words in store', value: String(count) },
    { metric: 'word HNSW index', value: `m=${repository.index.m}, ef_construction=${repository.index.efConstruction}` },
    ...recall.map((point) => ({
      metric: `similarWords recall@10, ef_search ${point.efSearch}${point.efSearch === efSearch ? ' (in use)' : ''}`,
      value: `${point.recall.toFixed(3)} (repository p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms)`,
      goal: point.efSearch === efSearch ? '>= 0.98' : undefined,
    })),
    ...http.map((load) => loadRow('similarWords HTTP', load, load.connections === 1 ? 'p50 <= 4 ms' : undefined)),
  ];
  return {
    result: { words: count, index: repository.index, efSearch, recallQueries: truth.length, recall, http },
    rows,
  };
}

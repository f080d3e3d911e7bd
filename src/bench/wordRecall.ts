// Recall@k of the word index against exact scans, through the repository
// methods the service uses (same SQL, same exclusion of the query word).
import type { WordRepository } from '../repositories/wordRepository.js';
import { round, summarizeLatencies } from './stats.js';

export interface RecallPoint {
  efSearch: number;
  recall: number;
  /** Repository-level latency of the approximate query, in-process, one client. */
  p50Ms: number;
  p99Ms: number;
}

export interface WordTruth {
  word: string;
  vector: Float32Array;
  exact: string[];
}

/** The exact k nearest neighbours of each query word (itself excluded). */
export async function exactWordNeighbours(words: WordRepository, queries: string[], k: number): Promise<WordTruth[]> {
  const vectors = await words.findVectors(queries);
  const truth: WordTruth[] = [];
  for (const word of queries) {
    const vector = vectors.get(word);
    if (!vector) continue;
    const rows = await words.nearestExact(vector, k + 1);
    truth.push({ word, vector, exact: rows.map((row) => row.text).filter((text) => text !== word).slice(0, k) });
  }
  return truth;
}

export async function wordRecallAt(
  words: WordRepository,
  truth: WordTruth[],
  k: number,
  efSearch: number,
): Promise<RecallPoint> {
  let found = 0;
  let expected = 0;
  const latencies: number[] = [];
  for (const { word, vector, exact } of truth) {
    const started = performance.now();
    const rows = await words.nearest(vector, [word], k, efSearch);
    latencies.push(performance.now() - started);
    const approximate = new Set(rows.map((row) => row.text));
    found += exact.filter((text) => approximate.has(text)).length;
    expected += exact.length;
  }
  const latency = summarizeLatencies(latencies);
  return { efSearch, recall: round(found / expected, 4), p50Ms: round(latency.p50), p99Ms: round(latency.p99) };
}

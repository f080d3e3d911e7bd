// The query cost rule against real time: each shape's fastest time over a few
// rounds divided by its cost (src/http/queryCost.ts). The rule is kept
// when time per unit of cost stays within a factor of 3 across the shapes.
import { parse } from 'graphql';
import { buildSchema } from '../graphql/schema.js';
import { queryCost } from '../http/queryCost.js';
import type { TableRow } from './benchReport.js';

/** The web page's queries and the allowed fan-outs; $ID is a stored photo's id. */
export const COST_SHAPES: Record<string, string> = {
  'the page: similar words': '{ similarWords(word: "dog", first: 12) { distance word { text } } }',
  'the page: photo detail': `{ image(id: "$ID") { id url category captions width height
      tags(first: 8) { distance source word { text } } similar(first: 24) { distance image { id url category captions } } } }`,
  'the page: text search': '{ imagesForText(text: "a dog on the grass", first: 24) { distance matchedCaption image { id url category captions } } }',
  'similar photos, 24': '{ similarImages(id: "$ID", first: 24) { distance image { id } } }',
  'word fan-out, 100 words': '{ a0: similarWords(word: "dog", first: 100) { word { similar(first: 1) { distance } } } }',
  'image fan-out, 24 photos': '{ a0: images(first: 24) { edges { node { similar(first: 1) { distance } } } } }',
  'tags of 24 photos': '{ images(first: 24) { edges { node { id tags(first: 5) { word { text } } } } } }',
};

/** The most time per unit of cost may vary across the shapes (docs/operations.md). */
export const COST_SPREAD_GOAL = 3;

export interface CostRow {
  shape: string;
  cost: number;
  ms: number;
  microsecondsPerUnit: number;
}

async function timedPost(url: string, query: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`cost shape failed: ${body.errors[0]!.message}`);
  return performance.now() - started;
}

/** Each shape once to warm, then `rounds` rounds of every shape: the fastest time per shape. */
export async function benchCostRule(url: string, imageId: string, rounds = 15): Promise<{ result: { rows: CostRow[]; spread: number }; rows: TableRow[] }> {
  const schema = buildSchema();
  const shapes = Object.entries(COST_SHAPES).map(([shape, template]) => [shape, template.replaceAll('$ID', imageId)] as const);
  for (const [, query] of shapes) await timedPost(url, query);
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const [shape, query] of shapes) best.set(shape, Math.min(best.get(shape) ?? Infinity, await timedPost(url, query)));
  }
  const costRows = shapes.map(([shape, query]): CostRow => {
    const cost = queryCost(schema, parse(query), {})!;
    const ms = best.get(shape)!;
    return { shape, cost, ms, microsecondsPerUnit: (ms / cost) * 1000 };
  });
  const perUnit = costRows.map((row) => row.microsecondsPerUnit);
  const spread = Math.max(...perUnit) / Math.min(...perUnit);
  const rows: TableRow[] = costRows.map((row) => ({
    metric: `cost rule: ${row.shape}`,
    value: `cost ${row.cost}, ${row.ms.toFixed(1)} ms, ${row.microsecondsPerUnit.toFixed(1)} µs per unit`,
  }));
  rows.push({ metric: 'cost rule: time per unit, max / min', value: spread.toFixed(2), goal: `<= ${COST_SPREAD_GOAL}` });
  return { result: { rows: costRows, spread }, rows };
}

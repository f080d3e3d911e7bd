// What the steering arguments cost, in one run over HTTP, one client: page 2
// (after page 1's last cursor) against page 1 for similarImages(id),
// imagesForText and similarWords, and cut: AUTO against NONE.
import { graphqlBody, runLoad, type LoadResult } from './httpLoad.js';
import { loadRow, type TableRow } from './benchReport.js';
import { TEXT_QUERIES } from './imageBench.js';
import { round } from './stats.js';

const PAGED = {
  similarImages: 'query ($id: ID!, $after: String, $cut: Cut) { similarImages(id: $id, first: 10, after: $after, cut: $cut) { image { id } distance cursor } }',
  imagesForText: 'query ($text: String!, $after: String, $cut: Cut) { imagesForText(text: $text, first: 10, after: $after, cut: $cut) { image { id } distance cursor } }',
  similarWords: 'query ($word: String!, $after: String) { similarWords(word: $word, first: 10, after: $after) { distance cursor } }',
} as const;

type Paged = keyof typeof PAGED;

/** Page 1's last cursor for each question's variables, asked once over HTTP. */
async function lastCursors(url: string, list: Paged, variables: Record<string, unknown>[]): Promise<(string | undefined)[]> {
  return Promise.all(
    variables.map(async (vars) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: graphqlBody(PAGED[list], vars) });
      const body = (await response.json()) as { data?: Record<string, { cursor: string }[]> };
      return body.data?.[list]?.at(-1)?.cursor;
    }),
  );
}

export interface SteeringBenchOptions {
  url: string;
  durationSeconds: number;
  /** Stored image ids to ask similarImages about. */
  imageIds: string[];
  words: string[];
}

export async function benchSteering(options: SteeringBenchOptions, log: (message: string) => void) {
  const asked: Record<Paged, Record<string, unknown>[]> = {
    similarImages: options.imageIds.map((id) => ({ id })),
    imagesForText: TEXT_QUERIES.map((text) => ({ text })),
    similarWords: options.words.map((word) => ({ word })),
  };
  const load = async (label: string, bodies: string[]) => {
    await runLoad({ label: 'warm-up', url: options.url, bodies, connections: 1, durationSeconds: 1 });
    log(`steering: ${label}`);
    return runLoad({ label, url: options.url, bodies, connections: 1, durationSeconds: options.durationSeconds });
  };
  const pairs: { name: string; base: LoadResult; other: LoadResult }[] = [];
  for (const list of Object.keys(PAGED) as Paged[]) {
    const cursors = await lastCursors(options.url, list, asked[list]);
    const paged = asked[list].flatMap((vars, i) => (cursors[i] ? [{ vars, after: cursors[i] }] : []));
    const base = await load(`${list} page 1`, paged.map(({ vars }) => graphqlBody(PAGED[list], vars)));
    const other = await load(`${list} page 2`, paged.map(({ vars, after }) => graphqlBody(PAGED[list], { ...vars, after })));
    pairs.push({ name: `${list}: page 2 against page 1`, base, other });
  }
  for (const list of ['imagesForText', 'similarImages'] as const) {
    const base = await load(`${list} cut NONE`, asked[list].map((vars) => graphqlBody(PAGED[list], { ...vars, cut: 'NONE' })));
    const other = await load(`${list} cut AUTO`, asked[list].map((vars) => graphqlBody(PAGED[list], { ...vars, cut: 'AUTO' })));
    pairs.push({ name: `${list}: cut AUTO against NONE`, base, other });
  }
  const rows: TableRow[] = pairs.flatMap(({ name, base, other }) => [
    loadRow(`${base.label}`, base),
    loadRow(`${other.label}`, other),
    { metric: `${name}, p50 ratio`, value: String(round(other.latencyMs.p50 / base.latencyMs.p50, 2)) },
  ]);
  return {
    result: pairs.map(({ name, base, other }) => ({ name, p50Ms: base.latencyMs.p50, otherP50Ms: other.latencyMs.p50 })),
    rows,
  };
}

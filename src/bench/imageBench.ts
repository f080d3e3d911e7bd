// Images: recall@10 of the image index against exact (brute-force) search,
// ms per embedded image, and each image query over HTTP; then word queries
// beside concurrent uploads.
import { readFileSync } from 'node:fs';
import type { App } from '../app.js';
import { listPascalImages } from '../dataset/pascal.js';
import { topK } from '../eval/imageToImage.js';
import { graphqlBody, runLoad, runLoads, type LoadResult } from './httpLoad.js';
import { loadRow, type TableRow } from './benchReport.js';
import { round, summarizeLatencies } from './stats.js';
import { similarWordsBodies } from './wordBench.js';

export const SIMILAR_BY_ID = 'query ($id: ID!) { similarImages(id: $id, first: 10) { image { id } distance } }';
const SIMILAR_BY_IMAGE = 'query ($b: String!) { similarImages(image: { base64: $b }, first: 10) { image { id } distance } }';
export const IMAGES_FOR_TEXT = 'query ($text: String!) { imagesForText(text: $text, first: 10) { image { id } distance } }';
export const TAGS_FOR_IMAGE = 'query ($id: ID!) { tagsForImage(id: $id, first: 5) { word { text } distance } }';
export const TEXT_QUERIES = [
  'dog', 'a cat on a sofa', 'red bus', 'people at a dining table', 'sheep in a field', 'boat on the water',
  'airplane in the sky', 'man riding a motorbike', 'bottle', 'potted plant by a window', 'horse', 'train station',
  'bird on a branch', 'old car', 'cow grazing', 'television', 'bicycle', 'child', 'snow', 'beach',
];

export interface ImageBenchOptions {
  url: string;
  clients: number[];
  durationSeconds: number;
  recallQueries: number;
}

async function allImageIds(app: App): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await app.repositories.images.page(100, after);
    ids.push(...page.map((image) => image.id));
    if (page.length < 100) return ids;
    after = page.at(-1)!.id;
  }
}

/** Exact neighbours by brute force in memory (no index involved) against the repository's HNSW search. */
async function imageRecall(app: App, ids: string[], queries: number) {
  const vectors = await app.repositories.images.findEmbeddings(ids);
  const records = await app.repositories.images.findByIds(ids);
  // Stored vectors are unit length: the same cosine ranking the evaluation uses.
  const gallery = ids.map((id, i) => ({ id, category: '', vector: vectors[i]!, contentHash: records[i]!.contentHash }));
  const step = Math.max(1, Math.floor(ids.length / queries));
  const sample = gallery.filter((_, i) => i % step === 0).slice(0, queries);
  let found = 0;
  const latencies: number[] = [];
  for (const query of sample) {
    const exact = topK(query, gallery, 10).map((index) => ids[index]!);
    const started = performance.now();
    const approximate = await app.repositories.images.nearest(query.vector, {
      first: 10,
      excludeContentHash: query.contentHash,
      efSearch: app.config.images.efSearch,
    });
    latencies.push(performance.now() - started);
    const got = new Set(approximate.map((row) => row.id));
    found += exact.filter((other) => got.has(other)).length;
  }
  return { queries: sample.length, recall: round(found / (sample.length * 10), 4), repositoryP50Ms: round(summarizeLatencies(latencies).p50) };
}

/** In-process, one image at a time, through the Embedder (worker pool when configured). */
async function msPerImage(app: App, images: Buffer[]) {
  await app.embedder.embedImage(images[0]!); // warm-up
  const latencies: number[] = [];
  for (const bytes of images) {
    const started = performance.now();
    await app.embedder.embedImage(bytes);
    latencies.push(performance.now() - started);
  }
  const started = performance.now();
  await app.embedder.embedImages(images);
  const batchMs = (performance.now() - started) / images.length;
  return { single: summarizeLatencies(latencies), batchMsPerImage: round(batchMs) };
}

export async function uploadBodies(app: App, n = 8): Promise<{ bodies: string[]; images: Buffer[] }> {
  const all = listPascalImages(app.config.assets.dir);
  const step = Math.max(1, Math.floor(all.length / n));
  const images = all.filter((_, i) => i % step === 0).slice(0, n).map((image) => readFileSync(image.file));
  return { images, bodies: images.map((bytes) => graphqlBody(SIMILAR_BY_IMAGE, { b: bytes.toString('base64') })) };
}

export async function imageQueryBodies(app: App) {
  const ids = (await allImageIds(app)).filter((_, i) => i % 10 === 0);
  return {
    similarById: ids.map((id) => graphqlBody(SIMILAR_BY_ID, { id })),
    tagsForImage: ids.map((id) => graphqlBody(TAGS_FOR_IMAGE, { id })),
    imagesForText: TEXT_QUERIES.map((text) => graphqlBody(IMAGES_FOR_TEXT, { text })),
  };
}

export async function benchImages(app: App, options: ImageBenchOptions, log: (message: string) => void) {
  const ids = await allImageIds(app);
  log(`images: recall@10 on ${options.recallQueries} of ${ids.length} images (exact = brute force in memory)`);
  const recall = await imageRecall(app, ids, options.recallQueries);
  const uploads = await uploadBodies(app);
  log('images: ms per embedded image');
  const embedding = await msPerImage(app, uploads.images);

  const bodies = await imageQueryBodies(app);
  const load = (label: string, list: string[], connections: number) =>
    runLoad({ label, url: options.url, bodies: list, connections, durationSeconds: options.durationSeconds });
  const http: LoadResult[] = [];
  for (const [label, list] of [
    ['similarImages(id)', bodies.similarById],
    ['imagesForText', bodies.imagesForText],
    ['tagsForImage(id)', bodies.tagsForImage],
  ] as const) {
    await runLoad({ label: 'warm-up', url: options.url, bodies: list, connections: 4, durationSeconds: 1 });
    for (const connections of options.clients) {
      log(`images: ${label} over HTTP, ${connections} clients`);
      http.push(await load(label, list, connections));
    }
  }
  log('images: similarImages(image: base64) over HTTP, 1 client');
  http.push(await load('similarImages(image)', uploads.bodies, 1));

  log('images: 16 word-query clients beside 4 concurrent uploads');
  const words = await similarWordsBodies(app);
  const [wordsAlone] = await runLoads([{ label: 'similarWords alone', url: options.url, bodies: words, connections: 16, durationSeconds: options.durationSeconds }]);
  const [wordsWithUploads, uploadLoad] = await runLoads([
    { label: 'similarWords beside uploads', url: options.url, bodies: words, connections: 16, durationSeconds: options.durationSeconds },
    { label: 'uploads (similarImages(image))', url: options.url, bodies: uploads.bodies, connections: 4, durationSeconds: options.durationSeconds },
  ]);

  const goals: Record<string, string> = {
    'similarImages(id)': 'p50 <= 2 ms, >= 1500 req/s at 16',
    imagesForText: 'p50 <= 3 ms',
    'tagsForImage(id)': 'p50 <= 5 ms',
    'similarImages(image)': '<= 80 ms',
  };
  const rows: TableRow[] = [
    { metric: 'images in store', value: String(ids.length) },
    {
      metric: `image recall@10 (${recall.queries} queries, ef_search ${app.config.images.efSearch})`,
      value: `${recall.recall.toFixed(3)} (repository p50 ${recall.repositoryP50Ms} ms)`,
    },
    {
      metric: `ms per embedded image (${app.config.embedWorkers} worker${app.config.embedWorkers === 1 ? '' : 's'})`,
      value: `one at a time p50 ${round(embedding.single.p50)} ms, p99 ${round(embedding.single.p99)} ms; batch of ${uploads.images.length}: ${embedding.batchMsPerImage} ms/image`,
    },
    ...http.map((result) => loadRow(result.label, result, result.connections === 1 ? goals[result.label] : result.label === 'similarImages(id)' ? goals[result.label] : undefined)),
    loadRow('similarWords, no uploads', wordsAlone!),
    loadRow('similarWords, 4 concurrent uploads', wordsWithUploads!, 'p99 <= 20 ms'),
    loadRow('uploads beside word queries', uploadLoad!),
  ];
  return {
    result: { images: ids.length, recall, embedding, http, wordsAlone, wordsWithUploads, uploads: uploadLoad },
    rows,
  };
}

// A small assets folder for tests, built from the real one: a few categories
// of real Pascal photos (copied, with their captions) and the real MobileNet
// model (linked). TEST_ASSETS_DIR, else ASSETS_DIR as the server reads it,
// overrides where the real assets are.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import sharp from 'sharp';
import { captionsPath, imagePath, listPascalImages, pascalDir, type PascalImage } from '../../src/dataset/pascal.js';
import { loadConfig } from '../../src/config.js';
import { mobilenetDir } from '../../src/embedding/imageModelSpec.js';

export function realAssetsDir(): string {
  return process.env.TEST_ASSETS_DIR ?? loadConfig({ ASSETS_DIR: process.env.ASSETS_DIR }).assets.dir;
}

export interface TestAssets {
  dir: string;
  images: PascalImage[];
}

/** `perCategory` real photos from each of `categories`, in a fresh temp assets folder. */
export function buildTestAssets(categories: readonly string[], perCategory: number): TestAssets {
  const source = realAssetsDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-assets-'));
  const chosen = categories.flatMap((category) =>
    listPascalImages(source)
      .filter((image) => image.category === category)
      .slice(0, perCategory),
  );
  const sourceRoot = pascalDir(source);
  const root = pascalDir(dir);
  for (const image of chosen) {
    const to = imagePath(root, image.category, image.id);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(image.file, to);
    const captions = captionsPath(sourceRoot, image.category, image.id);
    if (existsSync(captions)) {
      const toCaptions = captionsPath(root, image.category, image.id);
      mkdirSync(path.dirname(toCaptions), { recursive: true });
      copyFileSync(captions, toCaptions);
    }
  }
  mkdirSync(path.dirname(mobilenetDir(dir)), { recursive: true });
  symlinkSync(mobilenetDir(source), mobilenetDir(dir), 'dir');
  return { dir, images: listPascalImages(dir) };
}

/** A real Pascal photo that is not in `exclude`, from `category`. */
export function otherPascalImage(category: string, exclude: readonly PascalImage[]): PascalImage {
  const taken = new Set(exclude.map((image) => image.id));
  const found = listPascalImages(realAssetsDir()).find((image) => image.category === category && !taken.has(image.id));
  if (!found) throw new Error(`no spare ${category} image`);
  return found;
}

export interface NoiseImageOptions {
  /** Different seeds give different bytes. */
  seed?: number;
  width?: number;
  height?: number;
  format?: 'jpeg' | 'png' | 'webp' | 'tiff';
}

/** A generated image of noise, different for each seed: bytes no store has seen. */
export async function noiseImage({ seed = 0, width = 48, height = width, format = 'jpeg' }: NoiseImageOptions = {}): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + seed * 104729) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

export async function mirrored(bytes: Buffer, format: 'png' | 'webp' | 'jpeg' = 'png'): Promise<Buffer> {
  return sharp(bytes).flop().toFormat(format).toBuffer();
}

export function categoriesIn(dir: string): string[] {
  return readdirSync(path.join(pascalDir(dir), 'dataset')).sort();
}

/** Session settings the serving pools issue around a question's statements (statement_timeout), not counted. */
const SESSION_SETTING = /^\s*(SET|RESET)\s/i;
/** The clients whose query is counted while `counting` holds (tests only ever add to it). */
const countedClients = new WeakSet<object>();
let counters: { count: number }[] = [];

function countQueriesOf(client: pg.PoolClient): void {
  if (countedClients.has(client)) return;
  countedClients.add(client);
  const query = client.query as (...args: unknown[]) => unknown;
  client.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (!SESSION_SETTING.test(text ?? '')) for (const counter of counters) counter.count++;
    return query.apply(this, args);
  } as typeof client.query;
}

/**
 * How many statements `run` sends through the pools' connections (session
 * settings aside). Statements, not checkouts: the embedded store keeps its one
 * connection from one statement to the next while they queue.
 */
export async function countStatements(pools: pg.Pool[], run: () => Promise<unknown>): Promise<number> {
  const counter = { count: 0 };
  const distinct = [...new Set(pools)];
  // Connections already out of the pool (held between turns) or idle in it, and any it opens meanwhile.
  for (const pool of distinct) for (const client of (pool as unknown as { _clients: pg.PoolClient[] })._clients) countQueriesOf(client);
  for (const pool of distinct) pool.on('acquire', countQueriesOf);
  counters.push(counter);
  try {
    await run();
  } finally {
    counters = counters.filter((c) => c !== counter);
    for (const pool of distinct) pool.off('acquire', countQueriesOf);
  }
  return counter.count;
}

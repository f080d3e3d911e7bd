// Downloads the assets on machines that are online: the Pascal Sentences page
// (images linked from it, captions inline) and the MobileNet TF.js model
// (model.json and the weight files it lists). Files are written to a temp
// name and renamed, so an interrupted download resumes and never leaves a
// half file under the final name; files present already are skipped.
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createProgress } from '../lib/progress.js';
import { captionsPath, imagePath, pascalDir } from '../dataset/pascal.js';

const ATTEMPTS = 3;
const TIMEOUT_MS = 60_000;
const PARALLEL = 4;

export interface DownloadOptions {
  baseUrl: string;
  assetsDir: string;
  log?: (message: string) => void;
  /** Where progress lines go (tests pass a sink). */
  progressOut?: NodeJS.WriteStream;
}

export interface PascalEntry {
  category: string;
  id: string;
  /** The image's path relative to the page, as linked. */
  src: string;
  captions: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#39|amp|lt|gt|quot|apos|nbsp);/g, (_, name: string) => ENTITIES[name]!);
}

/**
 * The page is one table: a row per image, `<td><img src="cat/2008_000116.jpg"></td>`
 * followed by a nested table with one caption per `<td>`.
 */
export function parsePascalIndex(html: string): PascalEntry[] {
  const entries: PascalEntry[] = [];
  const images = [...html.matchAll(/<img[^>]*\ssrc="([^"]+)"[^>]*>/gi)];
  images.forEach((match, i) => {
    const src = match[1]!;
    const parts = src.split('/');
    const file = parts.at(-1)!;
    const category = parts.at(-2);
    if (!category || !/\.jpe?g$/i.test(file)) return;
    const end = images[i + 1]?.index ?? html.length;
    const block = html.slice(match.index! + match[0].length, end);
    const captions = [...block.matchAll(/<td>([^<]*)<\/td>/gi)]
      .map((cell) => decodeEntities(cell[1]!).trim())
      .filter((caption) => caption !== '');
    entries.push({ category, id: file.replace(/\.jpe?g$/i, ''), src, captions });
  });
  return entries;
}

async function fetchBytes(url: string): Promise<Buffer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`download failed after ${ATTEMPTS} attempts: ${url}: ${(lastError as Error).message}`);
}

/**
 * A large file streamed to disk (never held in memory) under a temporary
 * name, renamed when complete; present already: nothing is fetched. A
 * stalled transfer (no byte for TIMEOUT_MS) is retried.
 */
export async function downloadToFile(url: string, file: string, onBytes?: (bytes: number, total: number) => void): Promise<boolean> {
  if (present(file)) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.part`;
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const stalled = new AbortController();
    let timer = setTimeout(() => stalled.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(url, { signal: stalled.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const total = Number(response.headers.get('content-length') ?? 0);
      let received = 0;
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
      body.on('data', (chunk: Buffer) => {
        clearTimeout(timer);
        timer = setTimeout(() => stalled.abort(), TIMEOUT_MS);
        received += chunk.length;
        onBytes?.(received, total);
      });
      await pipeline(body, createWriteStream(partial));
      renameSync(partial, file);
      return true;
    } catch (err) {
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
  }
  throw new Error(`download failed after ${ATTEMPTS} attempts: ${url}: ${(lastError as Error).message}`);
}

function writeAtomically(file: string, bytes: Buffer | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.part`;
  writeFileSync(partial, bytes);
  renameSync(partial, file);
}

const present = (file: string) => existsSync(file) && statSync(file).size > 0;

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

const resolveUrl = (base: string, relative: string) => new URL(relative, base.endsWith('/') ? base : `${base}/`).href;

/** Present while a download runs: an interrupted one is resumed, not taken as complete. */
export const DOWNLOADING_MARKER = '.downloading';

/** Returns how many images were downloaded now (0 when all were present). */
export async function downloadPascal(options: DownloadOptions): Promise<number> {
  const root = pascalDir(options.assetsDir);
  const marker = path.join(root, DOWNLOADING_MARKER);
  writeAtomically(marker, new Date().toISOString());
  const html = (await fetchBytes(resolveUrl(options.baseUrl, ''))).toString('utf8');
  const entries = parsePascalIndex(html);
  if (entries.length === 0) throw new Error(`no images found on the Pascal Sentences page at ${options.baseUrl}`);
  const missing = entries.filter((e) => !present(imagePath(root, e.category, e.id)));
  options.log?.(`Pascal Sentences: ${entries.length} images listed, ${missing.length} to download`);
  const progress = createProgress('pascal download', entries.length, 'images', options.progressOut, entries.length - missing.length);
  for (const entry of entries) {
    const file = captionsPath(root, entry.category, entry.id);
    if (!present(file)) writeAtomically(file, `${entry.captions.join('\n')}\n`);
  }
  await inParallel(missing, async (entry) => {
    writeAtomically(imagePath(root, entry.category, entry.id), await fetchBytes(resolveUrl(options.baseUrl, entry.src)));
    progress.tick();
  });
  progress.finish();
  rmSync(marker);
  return missing.length;
}

/** model.json and every weight file it lists; returns how many files were downloaded now. */
export async function downloadMobilenet(options: DownloadOptions & { modelDir: string }): Promise<number> {
  const modelJson = path.join(options.modelDir, 'model.json');
  const json = present(modelJson) ? undefined : await fetchBytes(resolveUrl(options.baseUrl, 'model.json'));
  const manifest = JSON.parse((json ?? readFileSync(modelJson)).toString('utf8')) as {
    weightsManifest?: { paths: string[] }[];
  };
  if (!manifest.weightsManifest) throw new Error(`${options.baseUrl}model.json is not a TF.js model (no weightsManifest)`);
  const shards = manifest.weightsManifest.flatMap((group) => group.paths);
  const missing = shards.filter((shard) => !present(path.join(options.modelDir, shard)));
  options.log?.(`MobileNet: ${shards.length} weight files, ${missing.length} to download`);
  await inParallel(missing, async (shard) => {
    writeAtomically(path.join(options.modelDir, shard), await fetchBytes(resolveUrl(options.baseUrl, shard)));
  });
  // model.json last: its presence means the model is complete.
  if (json) writeAtomically(modelJson, json);
  return missing.length + (json ? 1 : 0);
}

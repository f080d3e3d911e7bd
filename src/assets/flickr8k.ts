// Builds the reference set's folder (dataset/referenceSet.ts) on an online
// machine from the public Flickr8k archives: Flickr8k_text.zip (captions in
// Flickr8k.token.txt, the test split in Flickr_8k.testImages.txt) and
// Flickr8k_Dataset.zip (about 1 GB, photos in `Flicker8k_Dataset/`). The
// archives are streamed to disk and unpacked entry by entry, never held in
// memory; `__MACOSX` entries are skipped. The test split's 1,000 photos are
// left out, as in the prepared copy: they evaluate the product from outside.
// Resumable: unpacked photos are kept, and captions.jsonl is written last.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createProgress } from '../lib/progress.js';
import { captionLines, parseFlickrTokens } from '../dataset/captionFiles.js';
import { referenceCaptionsFile, referenceDir, referenceImagePath } from '../dataset/referenceSet.js';
import { DOWNLOADING_MARKER, downloadToFile } from './download.js';
import { extractZipEntry, listZipEntries, type ZipEntry } from './zip.js';

export const FLICKR8K_ARCHIVES = { text: 'Flickr8k_text.zip', images: 'Flickr8k_Dataset.zip' } as const;
const TOKEN_FILE = 'Flickr8k.token.txt';
const TEST_SPLIT_FILE = 'Flickr_8k.testImages.txt';

export interface Flickr8kDownloadOptions {
  /** Where the two archives are: their names are appended. */
  baseUrl: string;
  assetsDir: string;
  log?: (message: string) => void;
  progressOut?: NodeJS.WriteStream;
}

const baseName = (entry: ZipEntry) => entry.name.split('/').at(-1)!;
const wanted = (entry: ZipEntry) => !entry.name.startsWith('__MACOSX/') && !entry.name.endsWith('/');
const archiveUrl = (base: string, name: string) => new URL(name, base.endsWith('/') ? base : `${base}/`).href;

/** A text file of the archive, whole (the caption files are a few MB). */
async function readTextEntry(archive: string, entries: ZipEntry[], name: string, scratch: string): Promise<string | undefined> {
  const entry = entries.find((e) => wanted(e) && baseName(e) === name);
  if (!entry) return undefined;
  const file = path.join(scratch, name);
  await extractZipEntry(archive, entry, file);
  return readFileSync(file, 'utf8');
}

/** Downloads and unpacks what is missing; returns how many photos the set lists. */
export async function downloadFlickr8k(options: Flickr8kDownloadOptions): Promise<number> {
  const root = referenceDir(options.assetsDir);
  const archives = path.join(root, 'archives');
  const marker = path.join(root, DOWNLOADING_MARKER);
  mkdirSync(root, { recursive: true });
  writeFileSync(marker, new Date().toISOString());
  const textZip = path.join(archives, FLICKR8K_ARCHIVES.text);
  const imagesZip = path.join(archives, FLICKR8K_ARCHIVES.images);
  options.log?.(`Flickr8k: downloading ${FLICKR8K_ARCHIVES.text} and ${FLICKR8K_ARCHIVES.images} (about 1 GB) from ${options.baseUrl}`);
  await downloadToFile(archiveUrl(options.baseUrl, FLICKR8K_ARCHIVES.text), textZip);
  const textEntries = await listZipEntries(textZip);
  const tokens = await readTextEntry(textZip, textEntries, TOKEN_FILE, archives);
  if (!tokens) throw new Error(`${FLICKR8K_ARCHIVES.text} has no ${TOKEN_FILE}`);
  const testSplit = new Set(((await readTextEntry(textZip, textEntries, TEST_SPLIT_FILE, archives)) ?? '').split(/\r?\n/).map((l) => l.trim()));
  const captions = parseFlickrTokens(tokens);
  for (const file of testSplit) captions.delete(file);

  let megabytes = 0;
  await downloadToFile(archiveUrl(options.baseUrl, FLICKR8K_ARCHIVES.images), imagesZip, (bytes, total) => {
    const now = Math.floor(bytes / 100e6);
    if (now > megabytes) {
      megabytes = now;
      options.log?.(`Flickr8k: ${(bytes / 1e6).toFixed(0)} of ${total ? (total / 1e6).toFixed(0) : '?'} MB downloaded`);
    }
  });
  const photos = (await listZipEntries(imagesZip)).filter((entry) => wanted(entry) && captions.has(baseName(entry)));
  const progress = createProgress('flickr8k unpack', photos.length, 'images', options.progressOut);
  for (const entry of photos) {
    const destination = referenceImagePath(root, baseName(entry));
    if (!existsSync(destination)) await extractZipEntry(imagesZip, entry, destination);
    progress.tick();
  }
  progress.finish();
  const unpacked = new Set(photos.map(baseName));
  for (const file of captions.keys()) if (!unpacked.has(file)) captions.delete(file);
  // Last: its presence (without the marker) means the set is complete.
  writeFileSync(referenceCaptionsFile(root), captionLines(captions, `Flickr8k archives from ${options.baseUrl}`));
  rmSync(archives, { recursive: true, force: true });
  rmSync(marker);
  return captions.size;
}

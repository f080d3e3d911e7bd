// `npm run import`: reads photo files in batches and hands each batch to a
// sink (the store through the image service, or a running server's API). The
// next batch is read and queued while the current one is embedded, so the
// embedding workers never wait for files. Safe to re-run: bytes stored
// already are skipped by their content hash, and the sink says so.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../lib/hash.js';
import { createProgress } from '../lib/progress.js';
import { MAX_IMAGE_BYTES, tooLarge } from '../services/arguments.js';
import type { NewUpload } from '../services/imageWriter.js';
import type { CaptionsByFile } from '../dataset/captionFiles.js';
import { readError, readSidecarCaptions } from './files.js';

/** Where imported images go; one outcome per upload, in order. */
export interface ImportSink {
  add(uploads: readonly NewUpload[]): Promise<SinkOutcome[]>;
}

export type SinkOutcome = { status: 'added' | 'present'; id: string } | { status: 'refused'; reason: string };

export interface ImportOptions {
  category?: string;
  captionsFromSidecar?: boolean;
  /** Captions by file name (a COCO or Flickr caption file): a photo's are those of its base name. */
  captionsByFile?: CaptionsByFile;
  /** Files per batch handed to the sink. */
  batchSize?: number;
  /** Where the progress bar goes; none when null. */
  progressOut?: NodeJS.WriteStream | null;
}

export interface ImportReport {
  files: number;
  added: number;
  present: number;
  refused: { file: string; reason: string }[];
  seconds: number;
}

const DEFAULT_BATCH = 16;
/** Batches handed to the sink and not yet answered: one embedding, one waiting its turn. */
const BATCHES_IN_FLIGHT = 2;

type ReadFile = { file: string; upload: NewUpload; contentHash: string };
type Unread = { file: string; reason: string };

export async function runImport(files: readonly string[], sink: ImportSink, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const report: ImportReport = { files: files.length, added: 0, present: 0, refused: [], seconds: 0 };
  const out = options.progressOut === undefined ? process.stderr : options.progressOut;
  const progress = out ? createProgress('import', files.length, 'images', out) : undefined;
  // The same bytes twice in one run are stored once: the second is present.
  const firstFileOfHash = new Map<string, string>();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  for (let start = 0; start < files.length && failure === undefined; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const read = await Promise.all(batch.map((file) => readOne(file, options)));
    const fresh: ReadFile[] = [];
    for (const item of read) {
      if ('reason' in item) report.refused.push(item);
      else if (firstFileOfHash.has(item.contentHash)) report.present++;
      else {
        firstFileOfHash.set(item.contentHash, item.file);
        fresh.push(item);
      }
    }
    progress?.tick(batch.length - fresh.length);
    const task = sink.add(fresh.map((item) => item.upload)).then(
      (outcomes) => {
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'refused') report.refused.push({ file: fresh[i]!.file, reason: outcome.reason });
          else report[outcome.status]++;
        });
        progress?.tick(fresh.length);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    inFlight.add(task);
    void task.then(() => inFlight.delete(task));
    if (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  progress?.finish();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function readOne(file: string, options: ImportOptions): Promise<ReadFile | Unread> {
  try {
    // Checked before reading: a huge file is refused without loading it.
    const { size } = await stat(file);
    if (size > MAX_IMAGE_BYTES) return { file, reason: tooLarge(size) };
    const bytes = await readFile(file);
    const captions = options.captionsByFile
      ? options.captionsByFile.get(path.basename(file))
      : options.captionsFromSidecar
        ? await readSidecarCaptions(file)
        : undefined;
    return { file, contentHash: sha256(bytes), upload: { bytes, category: options.category, captions } };
  } catch (err) {
    return { file, reason: readError(err) };
  }
}

/** The summary line: added, already present, refused. */
export function summaryLine(report: ImportReport): string {
  const rate = report.added / Math.max(report.seconds, 1e-3);
  const counts = `${report.added} added, ${report.present} already present, ${report.refused.length} refused`;
  return `import: ${counts} (${files(report.files)} in ${report.seconds.toFixed(1)} s, ${rate.toFixed(1)} added images/s)`;
}

export const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;

/** The words after the summary: a re-run that adds nothing says so. */
export function outcomeNote(report: ImportReport): string | null {
  if (report.added > 0) return null;
  if (report.present > 0) return `Nothing new: all ${report.present} readable images are stored already.`;
  return 'Nothing could be read: no image was added.';
}

/** Exit code: non-zero only when nothing could be read at all. */
export const importExitCode = (report: ImportReport) => (report.added + report.present > 0 ? 0 : 1);

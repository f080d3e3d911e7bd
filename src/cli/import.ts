// `npm run import -- <files or folders…> [--category NAME] [--captions-from-sidecar | --captions-coco FILE |
// --captions-flickr FILE] [--reference] [--url URL]`
// Stores photos in bulk: into the store named by DATABASE_URL (or the embedded
// one), or with --url through a running server's API. Re-runnable: photos
// stored already are skipped. --reference stores a captioned set as reference
// photos (they teach tags and text search; no answer lists them unless asked).
import { parseArgs } from 'node:util';
import { createApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { StoreInUseError } from '../db/storeLock.js';
import { findImageFiles } from '../import/files.js';
import {
  files,
  importExitCode,
  outcomeNote,
  runImport,
  summaryLine,
  type ImportReport,
  type ImportSink,
} from '../import/importJob.js';
import { apiSink, ImportRefusedError, storeSink } from '../import/sinks.js';
import { createLogger } from '../logger.js';
import { cleanCategory } from '../services/arguments.js';
import { readCaptionFile, type CaptionsByFile } from '../dataset/captionFiles.js';

const USAGE = `usage: npm run import -- <files or folders…> [--category NAME] [--captions-from-sidecar | --captions-coco FILE |
       --captions-flickr FILE] [--reference] [--url URL]
  Folders are walked recursively for .jpg, .jpeg, .png and .webp files.
  --category NAME          the category of every imported photo
  --captions-from-sidecar  captions from photo.jpg.txt or photo.txt beside each photo, one a line
  --captions-coco FILE     captions from a COCO captions JSON (captions_train2017.json), by file name
  --captions-flickr FILE   captions from a Flickr8k/Flickr30k token file (Flickr8k.token.txt), by file name
  --reference              store them as reference photos: they teach tags and text search, and no
                           answer lists them unless asked (includeReference); a photo without captions
                           is refused. Not with --url.
  --url URL                send through a running server's API (SEMSEARCH_TOKEN: its write token)`;

/** Exit code when the command itself is wrong or the store cannot be opened: nothing was read. */
const NOTHING_READ = 1;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(NOTHING_READ);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      category: { type: 'string' },
      'captions-from-sidecar': { type: 'boolean', default: false },
      'captions-coco': { type: 'string' },
      'captions-flickr': { type: 'string' },
      reference: { type: 'boolean', default: false },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const { values: args, positionals: paths } = parsed;
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (paths.length === 0) fail(USAGE);
let category: string | undefined;
try {
  category = cleanCategory(args.category);
} catch (err) {
  fail(`--category: ${(err as Error).message}`);
}
if (args.url !== undefined && !/^https?:\/\/[^/]/.test(args.url)) fail(`--url must be an http(s) URL, got '${args.url}'`);
const captionSources = [args['captions-from-sidecar'], args['captions-coco'], args['captions-flickr']].filter(Boolean);
if (captionSources.length > 1) fail('give one source of captions: --captions-from-sidecar, --captions-coco or --captions-flickr');
if (args.reference && args.url !== undefined) fail('--reference stores into the store itself: run it without --url (stop the server first on the embedded store)');
if (args.reference && captionSources.length === 0) fail('--reference needs captions: --captions-from-sidecar, --captions-coco FILE or --captions-flickr FILE');
let captionsByFile: CaptionsByFile | undefined;
try {
  if (args['captions-coco']) captionsByFile = readCaptionFile(args['captions-coco'], 'coco');
  if (args['captions-flickr']) captionsByFile = readCaptionFile(args['captions-flickr'], 'flickr');
} catch (err) {
  fail(`captions: ${(err as Error).message}`);
}

const config = loadConfig();
// Migrations and model loading stay quiet: the progress bar and summary say what happens.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat);

const found = await findImageFiles(paths);
if (found.files.length === 0) {
  for (const { file, reason } of found.unreadable) process.stderr.write(`refused  ${file}: ${reason}\n`);
  fail(`No JPEG, PNG or WebP files in ${paths.join(', ')}: nothing to import.`);
}
if (found.otherFiles > 0) {
  const notPhotos = found.otherFiles === 1 ? 'is not a photo' : 'are not photos';
  process.stderr.write(`${files(found.otherFiles)} in those folders ${notPhotos} by name (.jpg, .jpeg, .png, .webp): left alone\n`);
}

let app: App | undefined;
let sink: ImportSink;
if (args.url !== undefined) {
  sink = apiSink({ url: args.url, token: config.clientToken });
} else {
  try {
    app = await createApp(config, logger);
  } catch (err) {
    if (!(err instanceof StoreInUseError)) throw err;
    fail(
      `The embedded store in ${config.dataDir} is held by another process (pid ${err.pid}), most likely a running server;\n` +
        `PGlite cannot be opened twice. Import through that server instead:\n` +
        `  npm run import -- ${process.argv.slice(2).join(' ')} --url http://localhost:${config.port}`,
    );
  }
  await app.embedder.loadModels();
  sink = storeSink(app.services.images, args.reference);
}

let report: ImportReport;
try {
  report = await runImport(found.files, sink, { category, captionsFromSidecar: args['captions-from-sidecar'], captionsByFile });
} catch (err) {
  await app?.close();
  if (err instanceof ImportRefusedError) fail(err.message);
  throw err;
}
await app?.close();

report.refused.unshift(...found.unreadable);
for (const { file, reason } of report.refused) process.stdout.write(`refused  ${file}: ${reason}\n`);
process.stdout.write(`${summaryLine(report)}\n`);
const note = outcomeNote(report);
if (note) process.stdout.write(`${note}\n`);
process.exit(importExitCode(report));

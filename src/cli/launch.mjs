// `npm start`: compiles the TypeScript to dist/ when a source is newer than
// the last compile, then runs the server from there. Node loads the compiled
// modules in about a second less than tsx loads the sources, which is most of
// a restart (docs/performance.md). Plain JavaScript: it runs before any
// TypeScript can.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT_DIR = path.join(ROOT, 'dist');
/** Written after a compile: the newest source time it saw (a source saved during a compile is compiled next time). */
const STAMP = path.join(OUT_DIR, '.compiled');
const SOURCE_DIRS = ['src', 'seeds'];
/** Read at run time from beside the compiled modules, as `npm run build` lays them out. */
const COPIED = [['schema'], ['migrations'], ['src', 'web', 'static']];

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(file);
    else yield file;
  }
}

function newestSourceTime() {
  let newest = 0;
  for (const dir of [...SOURCE_DIRS, 'schema', 'migrations']) {
    for (const file of filesUnder(path.join(ROOT, dir))) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

function compiledTime() {
  try {
    return Number(readFileSync(STAMP, 'utf8'));
  } catch {
    return -1;
  }
}

/**
 * Compiles aside, then moves each file into dist/ by rename: a server that
 * another `npm start` is starting at the same moment reads whole files only.
 */
async function compile() {
  // Imported only to compile: a start on an up-to-date build does not load it.
  const { build } = await import('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  const staging = mkdtempSync(path.join(OUT_DIR, '.staging-'));
  try {
    const entryPoints = SOURCE_DIRS.flatMap((dir) => [...filesUnder(path.join(ROOT, dir))].filter((file) => file.endsWith('.ts')));
    await build({ entryPoints, outdir: staging, outbase: ROOT, platform: 'node', format: 'esm', logLevel: 'warning' });
    for (const parts of COPIED) {
      for (const file of filesUnder(path.join(ROOT, ...parts))) {
        const target = path.join(staging, path.relative(ROOT, file));
        mkdirSync(path.dirname(target), { recursive: true });
        copyFileSync(file, target);
      }
    }
    for (const file of [...filesUnder(staging)]) {
      const target = path.join(OUT_DIR, path.relative(staging, file));
      mkdirSync(path.dirname(target), { recursive: true });
      renameSync(file, target);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const sourcesSeen = newestSourceTime();
if (compiledTime() !== sourcesSeen) {
  await compile();
  writeFileSync(STAMP, String(sourcesSeen));
}
await import(pathToFileURL(path.join(OUT_DIR, 'src', 'cli', 'start.js')).href);

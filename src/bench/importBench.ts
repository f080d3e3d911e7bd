// Import against seed: the same N dataset photos embedded and stored through
// the seed's images phase and through `npm run import`'s path (the image
// service's batch upload), each into a fresh embedded store, in one run on
// one machine and with the same embedding workers. Alternating rounds, so
// neither path always gets the warmer (or the quieter) machine.
import { Warmup } from '../services/warmup.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type App } from '../app.js';
import { listPascalImages } from '../dataset/pascal.js';
import type { Database } from '../db/database.js';
import { runImport } from '../import/importJob.js';
import { storeSink } from '../import/sinks.js';
import { createLogger } from '../logger.js';
import { createRepositories, type Repositories } from '../repositories/index.js';
import { ImageProjectionCache } from '../services/imageProjectionCache.js';
import { ImageService } from '../services/imageService.js';
import { imageSeedStores, interleaveByCategory, seedImages } from '../../seeds/images.js';
import type { TableRow } from './benchReport.js';
import { round } from './stats.js';

export interface ImportBenchOptions {
  images: number;
  rounds: number;
}

type Path = 'seed' | 'import';

interface Measured {
  path: Path;
  images: number;
  seconds: number;
}

/** A fresh embedded store in a temp folder, closed and removed after `work`. */
async function withScratchStore<T>(app: App, work: (repositories: Repositories) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-bench-import-'));
  let db: Database | undefined;
  try {
    const config = { ...app.config, database: { kind: 'pglite' as const, dataDir: dir } };
    db = await openStore(config, createLogger('warn'));
    return await work(createRepositories(db));
  } finally {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(app: App, which: Path, files: string[]): Promise<Measured> {
  return withScratchStore(app, async (repositories) => {
    if (which === 'seed') {
      const seeded = await seedImages(
        imageSeedStores(repositories, app.embedder, app.config.images.efSearch),
        app.embedder,
        { assetsDir: app.config.assets.dir, limit: files.length },
        createLogger('warn'),
      );
      return { path: which, images: seeded.embedded, seconds: seeded.seconds };
    }
    // The store's projection is read as a server's import would read it.
    const projection = new ImageProjectionCache(app.repositories.projections);
    const images = new ImageService(repositories.images, app.embedder, projection, app.config.images.efSearch, new Warmup(), app.services.transfer);
    const report = await runImport(files, storeSink(images), { progressOut: null });
    return { path: which, images: report.added, seconds: report.seconds };
  });
}

const rate = (runs: Measured[]) =>
  runs.reduce((sum, run) => sum + run.images, 0) / runs.reduce((sum, run) => sum + run.seconds, 0);

export async function benchImportVsSeed(app: App, options: ImportBenchOptions, log: (message: string) => void) {
  // The photos the seed takes first (category-interleaved), as files for the import.
  const files = interleaveByCategory(listPascalImages(app.config.assets.dir))
    .slice(0, options.images)
    .map((image) => image.file);
  // Warm: the workers' first batches are slower than the rest.
  await app.embedder.embedImages(await Promise.all(files.slice(0, 8).map((file) => readFile(file))));
  const runs: Measured[] = [];
  for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
    const order: Path[] = roundIndex % 2 === 0 ? ['seed', 'import'] : ['import', 'seed'];
    for (const which of order) {
      log(`import vs seed: round ${roundIndex + 1}, ${which} path, ${files.length} images into a fresh embedded store`);
      runs.push(await measure(app, which, files));
    }
  }
  const seed = rate(runs.filter((run) => run.path === 'seed'));
  const imported = rate(runs.filter((run) => run.path === 'import'));
  const ratio = imported / seed;
  const perRun = runs.map((run) => `${run.path} ${round(run.images / run.seconds, 2)}`).join(', ');
  const rows: TableRow[] = [
    {
      metric: `import vs seed, ${files.length} images x ${options.rounds} rounds (${app.config.embedWorkers} embedding worker${app.config.embedWorkers === 1 ? '' : 's'})`,
      value: `seed ${round(seed, 2)} images/s, import ${round(imported, 2)} images/s, ratio ${round(ratio, 3)} (runs: ${perRun})`,
      goal: 'ratio >= 0.8',
    },
  ];
  return { result: { images: files.length, rounds: options.rounds, seedImagesPerSecond: seed, importImagesPerSecond: imported, ratio, runs }, rows };
}

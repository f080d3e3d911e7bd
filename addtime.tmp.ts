// times captioned adds (addImage with captions) on a store: the median of N
import { readFileSync, readdirSync } from 'node:fs';
import { loadConfig } from './src/config.js';
import { createLogger } from './src/logger.js';
import { createApp } from './src/app.js';
const dir = process.argv[2]!;
const app = await createApp(loadConfig({ ...process.env, DATA_DIR: dir, REFERENCE_SET: 'none' }), createLogger('warn'));
await app.loadModels();
const counts = await app.db.primary.query('SELECT count(*) FILTER (WHERE reference) AS r, count(*) FILTER (WHERE cardinality(captions) > 0) AS c, count(*) AS n FROM images');
console.log('store', counts.rows[0]);
// COCO-sample photos are never stored by the product; these adds go to a throwaway copy.
const files = readdirSync('/work/shared/assets/coco-captions-sample/images').slice(0, 8);
const times: number[] = [];
for (const [i, f] of files.entries()) {
  const bytes = readFileSync(`/work/shared/assets/coco-captions-sample/images/${f}`);
  const s = performance.now();
  await app.services.images.addImage({ base64: bytes.toString('base64') }, null, [`A photo number ${i} of a dog on a beach.`]);
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
console.log('captioned add ms', times.map((t) => t.toFixed(0)).join(' '), 'median', times[Math.floor(times.length / 2)]!.toFixed(0));
await app.close();

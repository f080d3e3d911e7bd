// `npm run eval:images`: P@10 / mAP@10 of the image embedding variants (docs/models.md "Images").
import { loadConfig } from '../config.js';
import {
  evaluateImageVariants,
  evaluateUnseenCategories,
  formatUnseenCategories,
  formatVariants,
} from '../eval/imageVariants.js';
import path from 'node:path';

const config = loadConfig();
const results = await evaluateImageVariants(config.assets.dir, path.join(config.dataDir, 'eval'));
process.stdout.write(`${formatVariants(results)}\n\n`);
const unseen = await evaluateUnseenCategories(config.assets.dir, path.join(config.dataDir, 'eval'));
process.stdout.write(`${formatUnseenCategories(unseen)}\n`);

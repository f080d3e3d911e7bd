// `npm run train [-- --recipe <name>]`: (re)trains the image → word-space model
// on the stored images' training split, saves it under DATA_DIR, and gives
// every image its new word-space vector. Seeds words and images first if missing.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { withApp } from './boot.js';
import { DEFAULT_RECIPE_NAME, MODEL_PHASE, wordModelOptions } from '../../seeds/wordModel.js';

const { values } = parseArgs({ options: { recipe: { type: 'string', default: DEFAULT_RECIPE_NAME } } });
const config = loadConfig();
try {
  // A misspelt recipe is refused before the store is opened.
  wordModelOptions(config.wordSpace, values.recipe);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
await withApp(async (app) => {
  await app.seed({ retrainWordModel: true, wordModelRecipe: values.recipe });
  const done = (await app.repositories.seedState.completed()).get(MODEL_PHASE);
  app.logger.info(`model '${String(done?.recipe)}' trained in ${Number(done?.trainSeconds).toFixed(0)} s and saved under ${config.wordSpace.wordModelDir}`);
}, config);

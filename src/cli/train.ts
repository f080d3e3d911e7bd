// `npm run train [-- --recipe <name>]`: (re)trains the image → word-space model
// on the stored images' training split, saves it under DATA_DIR, and gives
// every image its new word-space vector. Seeds words and images first if missing.
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { DEFAULT_RECIPE_NAME, ensureTagVocabulary, MODEL_PHASE, projectImages, trainWordModel, wordModelOptions } from '../seed/trainModel.js';
import { RECIPES } from '../seed/wordModelRecipes.js';

const { values } = parseArgs({ options: { recipe: { type: 'string', default: DEFAULT_RECIPE_NAME } } });
const config = loadConfig();
const logger = createLogger(config.logLevel);
const options = wordModelOptions(config.wordSpace, values.recipe);
const app = await createApp(config, logger);
try {
  // Words, images (and a first model if none exists) come from the ordinary seed.
  const hadModel = app.embedder.hasWordModel();
  await app.seed();
  const deps = { ...app.repositories, embedder: app.embedder };
  if (hadModel || values.recipe !== DEFAULT_RECIPE_NAME) {
    await ensureTagVocabulary(deps, options.tagVocabularySize, logger);
    const summary = await trainWordModel(deps, options, logger);
    const projected = await projectImages(deps, logger);
    await app.repositories.seedState.markDone(MODEL_PHASE, {
      tagVocabularySize: options.tagVocabularySize,
      recipe: summary.recipe,
      trainSeconds: summary.seconds,
      projected,
    });
  }
  const last = (await app.repositories.seedState.completed()).get(MODEL_PHASE);
  logger.info(`model '${String(last?.recipe ?? options.recipe.name)}' ready; recipes: ${Object.keys(RECIPES).join(', ')}`);
} finally {
  await app.close();
}

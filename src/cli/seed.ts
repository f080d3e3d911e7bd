// `npm run seed`: migrate and seed whatever is missing, then exit.
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const app = await createApp(config, logger);
try {
  await app.seed();
} finally {
  await app.close();
}

// The environment a bench run as a child process gets in the tests: the
// tests' small GloVe file, a short training, no reference set, the real
// assets and no downloads, and no DATABASE_URL (the embedded store) unless
// `databaseUrl` is given.
import { buildTestGlove } from './glove.js';
import { realAssetsDir } from './images.js';

export async function tinyBenchEnv(databaseUrl?: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GLOVE_FILE: await buildTestGlove(),
    WORDS_LIMIT: '0',
    TRAIN_EPOCHS: '5',
    REFERENCE_SET: 'none',
    ASSETS_DIR: realAssetsDir(),
    ASSETS_DOWNLOAD: 'false',
  };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

// How every command starts: the configuration from the environment (read
// once), a logger, the app; and how it ends: the app closed, however the
// command's work went.
import { createApp, type App } from '../app.js';
import { loadConfig, type Config, type LogLevel } from '../config.js';
import { createLogger } from '../logger.js';

/** The app for a command; `logLevel` overrides the configured one. */
export function openApp(config: Config = loadConfig(), logLevel: LogLevel = config.logLevel): Promise<App> {
  return createApp(config, createLogger(logLevel, config.logFormat));
}

/** Runs `work` with the app and closes it afterwards. */
export async function withApp<T>(work: (app: App) => Promise<T>, config?: Config, logLevel?: LogLevel): Promise<T> {
  const app = await openApp(config, logLevel);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

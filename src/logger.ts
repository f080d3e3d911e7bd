// The process's logger (pino), to stderr so stdout stays clean for command
// output (bench tables, eval summaries): JSON lines for machines in
// production, one readable line per event for people in development.
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.js';

/** Structured fields of one event (a request's id, status, duration …). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether a line at `level` is written (absent: every level is), so callers build lines only when they are. */
  isEnabled?(level: LogLevel): boolean;
}

/** `destination`: where lines go (tests read them); default the process's stderr. */
export function createLogger(
  level: LogLevel,
  format: LogFormat = 'pretty',
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  // Formatted in the calling thread, straight into `destination`: no pipe
  // (which would add listeners to stderr for every logger a process makes).
  const prettify =
    format === 'pretty'
      ? prettyFactory({
          colorize: false,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          // "info: message {fields}", as people read it (the level is its name: see formatters).
          customPrettifiers: { level: (level) => String(level) },
        })
      : undefined;
  const stream = prettify ? { write: (line: string) => destination.write(prettify(line)) } : destination;
  const log = pino(
    {
      level,
      // Level names, not numbers: `"level":"warn"` is what a person greps for.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
  const at =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      if (fields) log[method](fields, message);
      else log[method](message);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isEnabled: (wanted) => wanted !== 'silent' && log.isLevelEnabled(wanted),
  };
}

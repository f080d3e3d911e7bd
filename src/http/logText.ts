// Client text as it may enter a log line: cut short and on one line, so a
// client can neither flood the log nor forge a line of its own.
import { MAX_QUOTED_INPUT } from '../errors.js';

/** `text` cut to `max` characters, marked with … where it was cut. */
export const cutShort = (text: string, max = MAX_QUOTED_INPUT): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/** Client text may hold line breaks: one event stays one line. */
export const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

// Client text as it may enter a log line: cut short and on one line, so a
// client can neither flood the log nor forge a line of its own.
import { MAX_QUOTED_INPUT } from '../errors.js';

/** `text` cut to `max` characters, marked with … where it was cut. */
export const cutShort = (text: string, max = MAX_QUOTED_INPUT): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/**
 * Characters some line readers end a line at, or that rewrite what a terminal
 * shows: C0 and C1 controls (U+0085 is NEL), the line and paragraph
 * separators U+2028 and U+2029, and bidirectional overrides. JSON.stringify
 * leaves all but the C0 ones as they are, so they are escaped here.
 */
const LINE_BREAKING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Client text may hold line breaks: one event stays one line, and the characters above are written as \uXXXX. */
export const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ').replace(LINE_BREAKING, escaped);

/** A client-given string as a log field: cut to `max` characters, then on one line. */
export const logText = (text: string, max = MAX_QUOTED_INPUT): string => oneLine(cutShort(text, max));

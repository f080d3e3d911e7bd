// The nesting depth and element count of JSON text, read before JSON.parse
// builds it: a 15 MB body of `[[[[…` or `[0,0,0,…` would otherwise become
// hundreds of MB of objects (and blow the stack of any recursive walk) before
// anything could refuse it. One pass, no allocation; strings are skipped with
// indexOf, so a 14 MB base64 image costs a few milliseconds.

export interface JsonShapeLimits {
  /** Arrays and objects nested at most this deep (the outermost is depth 1). */
  maxDepth: number;
  /** Array items and object members at most, all levels together. */
  maxElements: number;
}

export type JsonShapeExcess = { limit: 'depth' | 'elements'; max: number } | undefined;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Index of the quote that closes the string opened at `start` (text.length when unterminated). */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

/**
 * The first limit the text exceeds, or undefined. Malformed JSON is not
 * reported here: JSON.parse says what is wrong with it afterwards.
 */
export function jsonShapeExcess(text: string, limits: JsonShapeLimits): JsonShapeExcess {
  let depth = 0;
  // Each container and each comma starts one more element: an upper bound on items and members.
  let elements = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.maxDepth) return { limit: 'depth', max: limits.maxDepth };
      if (++elements > limits.maxElements) return { limit: 'elements', max: limits.maxElements };
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === COMMA && ++elements > limits.maxElements) {
      return { limit: 'elements', max: limits.maxElements };
    }
  }
  return undefined;
}

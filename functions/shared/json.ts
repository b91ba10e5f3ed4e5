/**
 * Limits on client JSON that every parser of ours applies before `JSON.parse`. V8 parses any depth, but
 * `JSON.stringify`, zod's recursive schemas and any walk of the value recurse: a 100 KB body of nested
 * brackets would overflow the stack there (a 500, in AWS as well as locally). No request of this API needs
 * more than a few levels, so anything deeper than MAX_JSON_DEPTH is refused up front, as a client error.
 */

export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in JSON text, stopping early once it passes `limit`: one pass,
 * no recursion, brackets inside strings ignored. Malformed text is measured as far as it goes (JSON.parse
 * reports the syntax error afterwards).
 */
export const jsonDepth = (text: string, limit = Number.POSITIVE_INFINITY): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return deepest;
};

/** True when the text nests deeper than MAX_JSON_DEPTH (or `max`). */
export const tooDeep = (text: string, max = MAX_JSON_DEPTH): boolean => jsonDepth(text, max) > max;

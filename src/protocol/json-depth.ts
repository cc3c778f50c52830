// A nesting limit for JSON from outside (client frames, server API bodies).
// JSON.parse takes any depth, but later steps that walk the value recursively
// (JSON.stringify when the message is stored and sent on) overflow the stack
// a few thousand levels down: a 5,000-deep body answered 500. Checked on the
// text, before parsing, in one pass that keeps no stack.

/** Deeper than this is refused; real messages nest a handful of levels. */
export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays or objects inside each other (strings skipped). */
export function jsonNestedDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Reading JSON that anyone may have written, within bounds: its size and its nesting depth are
 * checked before it is parsed (the depth by one pass over the text, without recursion), so a
 * body nested 20,000 deep or of 16 MB is refused with a reason instead of being parsed, walked
 * and printed by code that recurses.
 *
 * @module
 */

/** The bounds of {@linkcode parseBoundedJson}. */
export interface JsonBounds {
  /** The most bytes of UTF-8 text. */
  readonly maxBytes: number;
  /** The most levels of nested objects and arrays (`{}` is 1, `{"a": []}` is 2). */
  readonly maxDepth: number;
}

/** Why a text was not read as JSON. */
export type JsonProblem = "too-large" | "too-deep" | "not-json";

/** What {@linkcode parseBoundedJson} found. */
export type BoundedJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: JsonProblem; readonly detail: string };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of the JSON text `bytes` (UTF-8), counting only brackets outside strings;
 * it stops, and answers `limit + 1`, as soon as the depth passes `limit`. It does not check
 * that the text is JSON: a text it measures may still fail to parse.
 *
 * @example
 * ```ts
 * import { jsonDepth } from "./bounded_json.ts";
 *
 * jsonDepth(new TextEncoder().encode('{"a": [1, {"b": "[[["}]}'), 64); // 3
 * ```
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

const text = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses the JSON text `bytes` when it is within `bounds`; says which bound it passes, or that
 * it is not JSON (nor UTF-8), otherwise. Never throws.
 *
 * @example
 * ```ts
 * import { parseBoundedJson } from "./bounded_json.ts";
 *
 * const deep = new TextEncoder().encode("[".repeat(20_000) + "]".repeat(20_000));
 * const read = parseBoundedJson(deep, { maxBytes: 1 << 20, maxDepth: 64 });
 * read.ok; // false
 * ```
 */
export function parseBoundedJson(bytes: Uint8Array, bounds: JsonBounds): BoundedJson {
  if (bytes.length > bounds.maxBytes) {
    return {
      ok: false,
      problem: "too-large",
      detail: `${bytes.length} bytes, over the bound of ${bounds.maxBytes}`,
    };
  }
  if (jsonDepth(bytes, bounds.maxDepth) > bounds.maxDepth) {
    return {
      ok: false,
      problem: "too-deep",
      detail: `nested over ${bounds.maxDepth} levels deep`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(text.decode(bytes)) };
  } catch (err) {
    return { ok: false, problem: "not-json", detail: (err as Error).message.slice(0, 200) };
  }
}

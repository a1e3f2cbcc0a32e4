/**
 * The bounds of what Warren writes and reads at its boundaries, in one place: every text copied
 * into a header, an event, a reply or a log line is cut to a size with a visible marker; every
 * JSON value is measured for depth and size without recursion before it is encoded or used; and
 * an AMQP header table is measured before amqplib is asked to encode it (amqplib encodes at most
 * 64 KiB of headers and throws beyond).
 *
 * | what                                   | bound                                     |
 * | -------------------------------------- | ----------------------------------------- |
 * | a text in a header (error, task name)  | {@linkcode HEADER_TEXT_BYTES} (1 KiB)     |
 * | a text in an event, reply or log line  | {@linkcode EVENT_TEXT_BYTES} (16 KiB)     |
 * | JSON nesting (bodies, results, events) | {@linkcode MAX_JSON_DEPTH} (64 levels)    |
 * | a message's header table               | {@linkcode MAX_HEADER_BYTES} (60,000 B)   |
 *
 * A cut text ends with {@linkcode CUT_MARKER} and says how long the whole was:
 * `…[cut: 70000 bytes in all]`.
 *
 * @module
 */
import { stringifyJson } from "./json.ts";

/** The most bytes of one text Warren writes into a header (an error, a task name, a cancel's `by`). */
export const HEADER_TEXT_BYTES = 1024;

/** The most bytes of one text Warren writes into an event, a reply or a log line. */
export const EVENT_TEXT_BYTES = 16 * 1024;

/** The deepest JSON nesting Warren encodes or reads (objects and arrays, counting the outer one). */
export const MAX_JSON_DEPTH = 64;

/**
 * The most bytes of a header table Warren publishes: below amqplib's 64 KiB encoding buffer,
 * with room to spare for its length prefixes.
 */
export const MAX_HEADER_BYTES = 60_000;

/** What a cut text ends with, before the length of the whole. */
export const CUT_MARKER = "…[cut: ";

const encoder = new TextEncoder();

/** The UTF-8 length of `text`, in bytes. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one character of 4 bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * `text` whole if its UTF-8 form fits in `maxBytes`; otherwise its start, cut on a character
 * boundary, and a marker that says how many bytes the whole had. The result never exceeds
 * `maxBytes` (for `maxBytes` of at least 64).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { boundText } from "./bounds.ts";
 *
 * assertEquals(boundText("short", 100), "short");
 * assertEquals(boundText("x".repeat(200), 64), "x".repeat(38) + "…[cut: 200 bytes in all]");
 * ```
 */
export function boundText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const marker = `${CUT_MARKER}${bytes.length} bytes in all]`;
  let keep = Math.max(0, maxBytes - utf8Bytes(marker));
  // Back off continuation bytes (10xxxxxx) so that no character is split.
  while (keep > 0 && (bytes[keep]! & 0xc0) === 0x80) keep--;
  return new TextDecoder().decode(bytes.subarray(0, keep)) + marker;
}

/** Whether `text` was cut by {@linkcode boundText}. */
export function wasCut(text: string): boolean {
  return /…\[cut: \d+ bytes in all\]$/.test(text);
}

/** A text bounded for a header: {@linkcode boundText} at {@linkcode HEADER_TEXT_BYTES}. */
export function headerText(text: string): string {
  return boundText(text, HEADER_TEXT_BYTES);
}

/** A text bounded for an event, a reply or a log line: {@linkcode boundText} at {@linkcode EVENT_TEXT_BYTES}. */
export function eventText(text: string): string {
  return boundText(text, EVENT_TEXT_BYTES);
}

/** How deep and how large a JSON-like value is, measured up to a limit. */
export interface JsonMeasure {
  /** Its nesting depth (0 for a scalar, 1 for `{}` or `[]`), or more than the limit, when over. */
  readonly depth: number;
  /** Whether it is deeper than the limit asked (then `depth` is only a lower bound). */
  readonly tooDeep: boolean;
}

/**
 * Measures how deep `value` nests (objects and arrays), without recursion, stopping at the first
 * branch deeper than `maxDepth`. Cycles count as too deep.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { measureDepth } from "./bounds.ts";
 *
 * let deep: unknown = 1;
 * for (let i = 0; i < 3_000; i++) deep = [deep];
 * assertEquals(measureDepth(deep, 64).tooDeep, true);
 * assertEquals(measureDepth({ a: [1, { b: 2 }] }, 64), { depth: 3, tooDeep: false });
 * ```
 */
export function measureDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): JsonMeasure {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    const level = depth + 1;
    if (level > maxDepth) return { depth: level, tooDeep: true };
    if (level > deepest) deepest = level;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child, level]);
    }
  }
  return { depth: deepest, tooDeep: false };
}

/**
 * How deep the JSON text `text` nests, read without parsing: a scan of its brackets outside
 * strings. Stops at the first level deeper than `maxDepth`. Malformed text is measured as far as
 * its brackets go (the parser says what else is wrong).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { jsonTextDepth } from "./bounds.ts";
 *
 * assertEquals(jsonTextDepth('{"a": [1, "]]]"], "b": {}}', 64), { depth: 2, tooDeep: false });
 * assertEquals(jsonTextDepth("[".repeat(20_000), 64).tooDeep, true);
 * ```
 */
export function jsonTextDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonMeasure {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) return { depth, tooDeep: true };
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return { depth: deepest, tooDeep: false };
}

/**
 * Parses JSON text whose nesting was first checked by {@linkcode jsonTextDepth}: `undefined` when
 * it is not JSON or nests deeper than `maxDepth`. Never throws.
 */
export function parseBoundedJson(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonTextDepth(text, maxDepth).tooDeep) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * An upper bound of the bytes amqplib takes to encode `table` as an AMQP field table (the
 * `headers` property), measured without recursion. Past `stopAt` bytes it stops counting and
 * returns what it has (already over).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { headerTableBytes, MAX_HEADER_BYTES } from "./bounds.ts";
 *
 * assert(headerTableBytes({ "x-warren-error": "boom" }) < 100);
 * assert(headerTableBytes({ "x-warren-error": "e".repeat(70_000) }) > MAX_HEADER_BYTES);
 * ```
 */
export function headerTableBytes(
  table: Readonly<Record<string, unknown>>,
  stopAt: number = Number.MAX_SAFE_INTEGER,
): number {
  let total = 4;
  const stack: unknown[] = [];
  const pushTable = (object: Readonly<Record<string, unknown>>) => {
    for (const key in object) {
      const value = object[key];
      if (value === undefined) continue;
      total += 1 + utf8Bytes(key);
      stack.push(value);
    }
  };
  pushTable(table);
  while (stack.length > 0 && total <= stopAt) {
    const value = stack.pop();
    if (typeof value === "string") total += 5 + utf8Bytes(value);
    else if (value instanceof Uint8Array) total += 5 + value.length;
    else if (Array.isArray(value)) {
      total += 5;
      for (const item of value) stack.push(item);
    } else if (value instanceof Date) total += 9;
    else if (typeof value === "object" && value !== null) {
      total += 5;
      const typed = value as { type?: unknown; value?: unknown };
      // amqplib's explicitly typed values: { type: "int", value: 1 }
      if (typeof typed.type === "string" && "value" in typed && Object.keys(typed).length === 2) {
        stack.push(typed.value);
      } else {
        pushTable(value as Record<string, unknown>);
      }
    } else total += 9; // numbers, booleans, null, bigints: at most a tag and 8 bytes
  }
  return total;
}

/** What stands for a value nested deeper than {@linkcode MAX_JSON_DEPTH}. */
export function tooDeepMarker(maxDepth: number = MAX_JSON_DEPTH): string {
  return `[not shown: nested over ${maxDepth} levels deep]`;
}

/**
 * `value` as it may be written into an event or a log line: itself when it nests at most
 * `maxDepth` deep and its JSON takes at most `maxBytes`; otherwise a string: its JSON cut by
 * {@linkcode boundText}, or {@linkcode tooDeepMarker} when too deep to encode at all. Never
 * throws (a value JSON cannot hold becomes its `String()`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { boundValue } from "./bounds.ts";
 *
 * assertEquals(boundValue({ a: 1 }, 100), { a: 1 });
 * assertEquals(String(boundValue({ a: "x".repeat(200) }, 64)).endsWith("bytes in all]"), true);
 * ```
 */
export function boundValue(
  value: unknown,
  maxBytes: number = EVENT_TEXT_BYTES,
  maxDepth: number = MAX_JSON_DEPTH,
): unknown {
  if (typeof value === "string") return boundText(value, maxBytes);
  if (typeof value !== "object" || value === null) return value;
  if (measureDepth(value, maxDepth).tooDeep) return tooDeepMarker(maxDepth);
  let json: string;
  try {
    json = stringifyJson(value);
  } catch (err) {
    return boundText(`[not shown: ${err instanceof Error ? err.message : String(err)}]`, maxBytes);
  }
  return json.length <= maxBytes / 3 || utf8Bytes(json) <= maxBytes
    ? value
    : boundText(json, maxBytes);
}

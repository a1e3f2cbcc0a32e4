/**
 * JSON for values that plain `JSON.stringify` cannot hold: bigints become decimal strings (exact
 * for any client), errors their messages.
 *
 * @module
 */
import { describeError } from "../errors/describe.ts";

/** A `JSON.stringify` replacer: bigints as decimal strings, errors as their messages. */
export function toJsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return describeError(value);
  return value;
}

/** `JSON.stringify` with {@linkcode toJsonValue}. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, toJsonValue) ?? "null";
}

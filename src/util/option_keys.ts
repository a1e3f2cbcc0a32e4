/**
 * Options objects checked for names they do not have: `{ prefetch: 3 }` given to a producer is
 * refused with the names it takes, instead of being ignored (TypeScript refuses such a literal,
 * but not an object built elsewhere, nor JavaScript).
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";

/**
 * Throws a `ConfigError` when `options` has a key that `known` lacks; `action` says what was
 * being done (`start producer`). Keys whose value is `undefined` are ignored.
 *
 * @example
 * ```ts
 * import { refuseUnknownOptions } from "./option_keys.ts";
 *
 * refuseUnknownOptions({ queue: "jobs" }, ["url", "queue"], "start producer"); // passes
 * ```
 */
export function refuseUnknownOptions(
  options: object,
  known: readonly string[],
  action: string,
): void {
  const unknown = Object.entries(options)
    .filter(([key, value]) => value !== undefined && !known.includes(key))
    .map(([key]) => `'${key}'`);
  if (unknown.length === 0) return;
  const what = unknown.length === 1
    ? `${unknown[0]} is not one of its options`
    : `${unknown.join(", ")} are not among its options`;
  throw new ConfigError(`Cannot ${action} as ${what}: ${[...known].sort().join(", ")}`);
}

/**
 * `keys` as a list of an options type's keys, checked at compile time to hold them all:
 * `optionKeys<ProducerOptions>()(["url", …])` does not compile while one is missing.
 */
export function optionKeys<T extends object>(): <const K extends readonly (keyof T & string)[]>(
  keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never),
) => readonly string[] {
  return (keys) => keys;
}

/**
 * The part of `@std/cli`'s `parseArgs` that Warren's CLIs use, built on `node:util`'s `parseArgs`.
 *
 * JSR packages cannot be downloaded where Warren is developed, so `deno.json` maps
 * `@std/cli/parse-args` to this file. To use the real package, change that one line of the import
 * map to `"@std/cli/parse-args": "jsr:@std/cli@^1/parse-args"`.
 *
 * Supported options: `string`, `boolean`, `collect`, `alias`, `default` and `unknown`, with the
 * meaning they have in `@std/cli`. Positional arguments that look like numbers stay strings
 * unless `@std/cli` is used (Warren's CLIs do not rely on either behaviour).
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** Options of {@linkcode parseArgs}. */
export interface ParseOptions {
  /** Flags that take a string value. */
  string?: string[];
  /** Flags that are booleans. */
  boolean?: string[];
  /** Flags that may be given several times; their values are collected in an array. */
  collect?: string[];
  /** Other names of a flag: `{ help: "h" }`. */
  alias?: Record<string, string | string[]>;
  /** Values of flags that are not given. */
  default?: Record<string, unknown>;
  /** Called with each argument not defined in the options; returning `false` drops it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}

/** The parsed arguments: flags by name, positional arguments in `_`. */
export interface Args {
  /** Positional arguments. */
  _: Array<string | number>;
  /** Flags by name. */
  [key: string]: unknown;
}

/** Parses command line arguments the way `@std/cli`'s `parseArgs` does. */
export function parseArgs(args: string[], options: ParseOptions = {}): Args {
  const strings = new Set(options.string ?? []);
  const booleans = new Set(options.boolean ?? []);
  const collect = new Set(options.collect ?? []);
  const canonical = new Map<string, string>();
  const shorts = new Map<string, string>();
  for (const [name, aliases] of Object.entries(options.alias ?? {})) {
    for (const alias of [aliases].flat()) {
      if (alias.length === 1) shorts.set(name, alias);
      else canonical.set(alias, name);
    }
  }
  const declared: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const name of [...strings, ...booleans, ...canonical.keys()]) {
    const main = canonical.get(name) ?? name;
    const type = strings.has(main) ? "string" : "boolean";
    const short = shorts.get(name);
    declared[name] = { type, multiple: collect.has(main), ...(short ? { short } : {}) };
  }
  for (const [name, short] of shorts) {
    if (!(name in declared)) declared[name] = { type: "boolean", short };
  }

  // As in @std/cli, a string flag followed by another --flag gets an empty value.
  const prepared: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      prepared.push(...args.slice(i));
      break;
    }
    const long = /^--([^=]+)$/.exec(arg)?.[1];
    const name = long === undefined ? undefined : canonical.get(long) ?? long;
    const next = args[i + 1];
    const empty = name !== undefined && strings.has(name) && next?.startsWith("--") === true;
    prepared.push(empty ? `${arg}=` : arg);
  }
  const { tokens } = nodeParseArgs({
    args: prepared,
    options: declared,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const result: Args = { _: [], ...options.default };
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (options.unknown?.(token.value) !== false) result._.push(token.value);
    } else if (token.kind === "option") {
      const name = canonical.get(token.name) ?? token.name;
      const known = name in declared;
      let value: unknown = token.value ?? (strings.has(name) ? "" : true);
      if (booleans.has(name)) value = token.value === undefined ? true : token.value !== "false";
      if (!known && options.unknown?.(token.rawName, name, value) === false) continue;
      result[name] = collect.has(name) ? [...asArray(result[name]), value] : value;
    }
  }
  // As in @std/cli, boolean flags not given are false and collect flags not given are [].
  for (const name of booleans) if (!(name in result)) result[name] = collect.has(name) ? [] : false;
  for (const name of strings) if (collect.has(name) && !(name in result)) result[name] = [];
  return result;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

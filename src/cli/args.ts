/**
 * Argument parsing shared by the CLIs: one call to `parseArgs`, unknown flags refused, and typed
 * readers for flag values.
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import {
  type BackoffOptions,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
} from "../backoff.ts";
import { UsageError } from "./exit.ts";

/** Parsed flags by name, and the positional arguments. */
export interface ParsedArgs {
  /** Flag values: strings, or booleans for boolean flags. */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Positional arguments. */
  readonly positionals: readonly string[];
}

/** Which flags exist and what they take. */
export interface FlagSpec {
  /** Flags that take a value. */
  readonly string: readonly string[];
  /** Flags that take none. */
  readonly boolean: readonly string[];
  /** One-letter aliases: `{ help: "h" }`. */
  readonly alias?: Readonly<Record<string, string>>;
}

/** Parses `args`; an unknown flag is a {@linkcode UsageError} naming it. */
export function parseFlags(args: readonly string[], spec: FlagSpec, context: string): ParsedArgs {
  const unknown: string[] = [];
  const flags = parseArgs([...args], {
    string: [...spec.string],
    boolean: [...spec.boolean],
    alias: { ...spec.alias },
    unknown: (arg: string, key?: string) => {
      if (key === undefined) return true;
      unknown.push(arg.split("=")[0]!);
      return false;
    },
  });
  if (unknown.length > 0) {
    throw new UsageError(`unknown option ${unknown.join(", ")} ${context}`);
  }
  const { _: positionals, ...rest } = flags;
  return { flags: rest, positionals: positionals.map(String) };
}

/** The value of a string flag, or `undefined` when absent; an empty value is a usage error. */
export function stringFlag(flags: ParsedArgs["flags"], name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`--${name} needs a value`);
  }
  return value;
}

/** The value of an integer flag within `[min, max]`, or `fallback` when absent. */
export function integerFlag(
  flags: ParsedArgs["flags"],
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!/^\+?\d+(_\d+)*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}: got '${text}'`);
  }
  return value;
}

/** The value of a flag that must be one of `choices`, or `fallback` when absent. */
export function choiceFlag<T extends string>(
  flags: ParsedArgs["flags"],
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}: got '${text}'`);
  }
  return text as T;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * The value of a duration flag in milliseconds, or `fallback` when absent: `30s`, `500ms`, `2m`,
 * `1h`, or a plain number of seconds.
 */
export function durationFlag(flags: ParsedArgs["flags"], name: string, fallback: number): number {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `--${name} must be a duration such as 30s, 500ms, 2m or 1h (a plain number means seconds): got '${text}'`,
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]!);
}

/**
 * The backoff of `--backoff-base` and `--backoff-max`, or `undefined` when neither is given; a
 * missing one takes its default (1s, 60s).
 */
export function backoffFlags(flags: ParsedArgs["flags"]): Required<BackoffOptions> | undefined {
  if (flags["backoff-base"] === undefined && flags["backoff-max"] === undefined) return undefined;
  return {
    base: durationFlag(flags, "backoff-base", DEFAULT_BACKOFF_BASE_MS),
    max: durationFlag(flags, "backoff-max", DEFAULT_BACKOFF_MAX_MS),
  };
}

/**
 * Argument parsing shared by the CLIs: one call to `parseArgs`, unknown and repeated flags
 * refused, and typed readers for flag values that accept the same number forms everywhere and
 * word every error the same way.
 *
 * @module
 */
import { parseArgs } from "../../deps/parse_args.ts";
import {
  type BackoffOptions,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
} from "../../util/backoff.ts";
import { describeRule, type NumberRule, obeys, parseNumberText } from "../../util/numbers.ts";
import { UsageError } from "../shared/exit.ts";

/** Parsed flags by name, and the positional arguments. */
export interface ParsedArgs {
  /** Flag values: strings, or `true` for boolean flags given; absent when not given. */
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

/**
 * Parses `args`; an unknown flag, or a flag with a value given twice (which value would win?),
 * is a {@linkcode UsageError} naming it. `context` ends the message about unknown flags
 * (`for 'dead list'`).
 */
export function parseFlags(args: readonly string[], spec: FlagSpec, context: string): ParsedArgs {
  const unknown: string[] = [];
  const names = [...spec.string, ...spec.boolean];
  const parsed = parseArgs([...args], {
    string: [...spec.string],
    boolean: [...spec.boolean],
    collect: names,
    alias: { ...spec.alias },
    unknown: (arg: string, key?: string) => {
      if (key === undefined) return true;
      unknown.push(arg.split("=")[0]!);
      return false;
    },
  });
  if (unknown.length > 0) {
    throw new UsageError(`unknown option ${unknown.join(", ")}${context ? ` ${context}` : ""}`);
  }
  const flags: Record<string, unknown> = {};
  for (const name of names) {
    const values = parsed[name] as unknown[];
    if (values.length > 1 && spec.string.includes(name)) {
      const shown = values.map((v) => `'${String(v)}'`).join(", ");
      throw new UsageError(`--${name} was given ${values.length} times (${shown}): give it once`);
    }
    if (values.length > 0) flags[name] = values[0];
  }
  return { flags, positionals: parsed._.map(String) };
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

/** Whether a boolean flag was given. */
export function booleanFlag(flags: ParsedArgs["flags"], name: string): boolean {
  return flags[name] === true;
}

/**
 * A number written as a flag's value: the forms of `parseNumberText` (`1_000`, `1e9`, `-2.5`),
 * checked against `rule`; otherwise a {@linkcode UsageError} worded
 * `--<flag> must be <rule>: got '<text>'`.
 */
export function parseNumberFlag(flag: string, text: string, rule: NumberRule): number {
  const value = parseNumberText(text);
  if (value === undefined || !obeys(value, rule)) {
    throw new UsageError(`--${flag} must be ${describeRule(rule)}: got '${text}'`);
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
  return text === undefined ? fallback : parseNumberFlag(name, text, { min, max });
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

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The duration units in words, for help texts and errors. */
export const DURATION_FORMS = "30s, 500ms, 2m, 1h or 3d (a plain number means seconds)";

/**
 * A duration written as a flag's value, in milliseconds: `30s`, `500ms`, `2m`, `1h`, `3d`, or a
 * plain number of seconds; otherwise a {@linkcode UsageError} naming the flag.
 */
export function parseDurationFlag(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(`--${name} must be a duration such as ${DURATION_FORMS}: got '${text}'`);
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]!);
}

/** The value of a duration flag in milliseconds, or `fallback` when absent. */
export function durationFlag(flags: ParsedArgs["flags"], name: string, fallback: number): number {
  const text = stringFlag(flags, name);
  return text === undefined ? fallback : parseDurationFlag(name, text);
}

/**
 * The time a `--since` flag names: a duration back from now (`1h`, `30m`, `7d`) or an ISO 8601
 * time; `fallbackMs` back from now when absent.
 */
export function sinceFlag(
  flags: ParsedArgs["flags"],
  name: string,
  fallbackMs: number,
  now: number = Date.now(),
): Date {
  const text = stringFlag(flags, name);
  if (text === undefined) return new Date(now - fallbackMs);
  if (/^\d/.test(text) && !text.includes("-")) return new Date(now - parseDurationFlag(name, text));
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--${name} must be a duration back from now (${DURATION_FORMS}) or an ISO 8601 time such as 2026-12-01T09:00:00Z: got '${text}'`,
    );
  }
  return new Date(time);
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

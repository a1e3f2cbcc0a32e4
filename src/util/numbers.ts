/**
 * Numbers given as options or on the command line: one set of accepted forms and one wording
 * for every error, whichever option or flag it concerns.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";

/** What a number must be: an integer or any number, within bounds. */
export interface NumberRule {
  /**
   * Whether it must be a whole number.
   * @default {true}
   */
  readonly integer?: boolean;
  /**
   * The least value allowed.
   * @default {no bound}
   */
  readonly min?: number;
  /**
   * The greatest value allowed.
   * @default {Number.MAX_SAFE_INTEGER for integers, no bound otherwise}
   */
  readonly max?: number;
}

/** The rule in words: `an integer from 1 to 65535`, `a number of 0 or more`, `an integer`. */
export function describeRule(rule: NumberRule): string {
  const kind = rule.integer === false ? "a number" : "an integer";
  const { min, max } = bounds(rule);
  const hasMin = min > Number.NEGATIVE_INFINITY && min > -Number.MAX_SAFE_INTEGER;
  const hasMax = max < Number.POSITIVE_INFINITY && max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `${kind} from ${min} to ${max}`;
  if (hasMin) return `${kind} of ${min} or more`;
  if (hasMax) return `${kind} of ${max} or less`;
  return kind;
}

function bounds(rule: NumberRule): { min: number; max: number } {
  const integer = rule.integer !== false;
  return {
    min: rule.min ?? (integer ? -Number.MAX_SAFE_INTEGER : Number.NEGATIVE_INFINITY),
    max: rule.max ?? (integer ? Number.MAX_SAFE_INTEGER : Number.POSITIVE_INFINITY),
  };
}

/** Whether `value` obeys `rule`. */
export function obeys(value: number, rule: NumberRule): boolean {
  const { min, max } = bounds(rule);
  if (rule.integer !== false && !Number.isSafeInteger(value)) return false;
  return Number.isFinite(value) && value >= min && value <= max;
}

/**
 * Checks a numeric option of a library call and returns it; otherwise throws a
 * {@linkcode ConfigError} worded `Cannot <action> as '<name>' must be <rule>: current value is
 * <value>`.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkNumber } from "./numbers.ts";
 *
 * checkNumber(10, "prefetch", "start worker", { min: 1, max: 65_535 }); // 10
 * assertThrows(
 *   () => checkNumber(0, "prefetch", "start worker", { min: 1, max: 65_535 }),
 *   Error,
 *   "Cannot start worker as 'prefetch' must be an integer from 1 to 65535: current value is 0",
 * );
 * ```
 */
export function checkNumber(value: number, name: string, action: string, rule: NumberRule): number {
  if (typeof value === "number" && obeys(value, rule)) return value;
  throw new ConfigError(
    `Cannot ${action} as '${name}' must be ${describeRule(rule)}: current value is ${
      typeof value === "number" ? value : JSON.stringify(value)
    }`,
  );
}

const NUMBER_TEXT = /^[-+]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[-+]?\d+)?$/i;

/**
 * A number written as text, in the forms every flag accepts: decimals with `_` between digits
 * and an exponent (`1_000`, `1e9`, `-2.5`, `.5`); `undefined` for anything else.
 */
export function parseNumberText(text: string): number | undefined {
  const trimmed = text.trim();
  if (!NUMBER_TEXT.test(trimmed)) return undefined;
  return Number(trimmed.replaceAll("_", ""));
}

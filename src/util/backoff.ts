/**
 * Exponential backoff with jitter, quantised so that the delays fall on a small set of values
 * (each delay has its own durable delay queue on the broker).
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";

/** Delays between attempts of a task. */
export interface BackoffOptions {
  /**
   * Delay before the first retry, in milliseconds; it doubles with each further retry.
   * @default {1000}
   */
  base?: number;
  /**
   * Largest delay, in milliseconds.
   * @default {60000}
   */
  max?: number;
}

/** The default base delay. */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
/** The default largest delay. */
export const DEFAULT_BACKOFF_MAX_MS = 60_000;

/** Fills in defaults and checks the values; `owner` names what they belong to in errors. */
export function resolveBackoff(
  options: BackoffOptions | undefined,
  owner: string,
): Readonly<Required<BackoffOptions>> {
  const base = options?.base ?? DEFAULT_BACKOFF_BASE_MS;
  const max = options?.max ?? Math.max(DEFAULT_BACKOFF_MAX_MS, base);
  for (const [key, value] of [["base", base], ["max", max]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ConfigError(
        `Cannot configure ${owner} as 'backoff.${key}' must be a positive integer of milliseconds: current value is ${value}`,
      );
    }
  }
  if (max < base) {
    throw new ConfigError(
      `Cannot configure ${owner} as 'backoff.max' (${max}) is below 'backoff.base' (${base})`,
    );
  }
  return { base, max };
}

/** How many steps the jitter range of a delay is cut into. */
export const JITTER_STEPS = 4;

/** The longest delay before try number `retry` (1 for the first): `base * 2^(retry-1)`, capped at `max`. */
export function backoffCeiling(
  retry: number,
  backoff: Readonly<Required<BackoffOptions>>,
): number {
  return Math.min(backoff.max, backoff.base * 2 ** Math.max(0, retry - 1));
}

/** Point `step` (0 to {@linkcode JITTER_STEPS}) of the upper half of `ceiling`, in whole ms. */
export function jitterPoint(ceiling: number, step: number): number {
  const half = ceiling / 2;
  return Math.max(1, Math.round(half + (half * step) / JITTER_STEPS));
}

/**
 * The delay before retry number `retry` (1 for the first): {@linkcode backoffCeiling}, then
 * "equal jitter" (a random point in its upper half), rounded down to a quarter of that half so
 * that at most five delays exist per level.
 */
export function retryDelay(
  retry: number,
  backoff: Readonly<Required<BackoffOptions>>,
  random: () => number = Math.random,
): number {
  const step = Math.floor(random() * (JITTER_STEPS + 1));
  return jitterPoint(backoffCeiling(retry, backoff), Math.min(step, JITTER_STEPS));
}

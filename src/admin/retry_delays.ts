/**
 * The retry delays a catalog can produce, so that its delay queues (`Q.retry.<ms>`) can be found
 * without a listing: AMQP has none, so the admin tools probe each possible name.
 *
 * @module
 */
import {
  backoffCeiling,
  type BackoffOptions,
  JITTER_STEPS,
  jitterPoint,
  resolveBackoff,
} from "../util/backoff.ts";
import type { Catalog } from "../task/catalog.ts";

/** Options of {@linkcode possibleRetryDelays}. */
export interface RetryDelayOptions {
  /**
   * More backoff settings to include, e.g. those of workers started with `--backoff-base` and
   * `--backoff-max`.
   * @default {[]}
   */
  backoffs?: readonly BackoffOptions[];
}

/**
 * Every delay, in milliseconds, that one backoff setting can produce: for each retry level
 * (`ceiling = min(max, base * 2^(n-1))`, up to the first level that reaches `max`, so any
 * number of retries is covered) the five quantised points `round(ceiling/2 * (1 + k/4))`,
 * `k = 0..4`, as `retryDelay` computes them.
 */
export function backoffDelays(backoff: Readonly<Required<BackoffOptions>>): number[] {
  const delays = new Set<number>();
  for (let retry = 1;; retry++) {
    const ceiling = backoffCeiling(retry, backoff);
    for (let step = 0; step <= JITTER_STEPS; step++) delays.add(jitterPoint(ceiling, step));
    if (ceiling >= backoff.max) break;
  }
  return [...delays].sort((a, b) => a - b);
}

/**
 * Every retry delay, in milliseconds and ascending, that the tasks of `catalog` can produce
 * with their own backoff settings, with the default one (1 s doubling up to 60 s), and with
 * `options.backoffs`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog } from "../task/catalog.ts";
 * import { defineTask } from "../task/contract.ts";
 * import { possibleRetryDelays } from "./retry_delays.ts";
 *
 * const ping = defineTask({
 *   name: "ping",
 *   schema: z.object({}),
 *   backoff: { base: 100, max: 200 },
 * });
 * const delays = possibleRetryDelays(defineCatalog(ping));
 * delays.slice(0, 5); // [50, 63, 75, 88, 100]
 * ```
 */
export function possibleRetryDelays(catalog: Catalog, options: RetryDelayOptions = {}): number[] {
  const settings = [
    resolveBackoff(undefined, "the default backoff"),
    ...catalog.names.map((name) => catalog.get(name)!.backoff),
    ...(options.backoffs ?? []).map((backoff) => resolveBackoff(backoff, "a retry backoff")),
  ];
  const delays = new Set(settings.flatMap(backoffDelays));
  return [...delays].sort((a, b) => a - b);
}

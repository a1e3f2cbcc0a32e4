/**
 * What happens to a failed attempt: another attempt after a delay, or the dead-letter queue.
 *
 * @module
 */
import { type BackoffOptions, retryDelay } from "./backoff.ts";
import type { AnyTask } from "./catalog.ts";
import type { DeadReason } from "./codec.ts";
import { NonRetryableError } from "./errors.ts";

/** The decision for a failed attempt. */
export type FailureDecision =
  | { readonly kind: "retry"; readonly delay: number }
  | { readonly kind: "dead"; readonly reason: DeadReason };

/** Per-worker overrides of the tasks' retry options. */
export interface RetryOverrides {
  /** Retries after a failed attempt, for every task. */
  readonly retries?: number;
  /** Delays between attempts, for every task. */
  readonly backoff?: Readonly<Required<BackoffOptions>>;
}

/**
 * Decides what follows attempt number `attempt` (1 for the first) of `task` that failed with
 * `error`: a {@linkcode NonRetryableError} or the last allowed attempt goes to dead letters,
 * anything else is retried after an exponential, jittered delay.
 */
export function decideFailure(
  task: AnyTask,
  attempt: number,
  error: unknown,
  overrides: RetryOverrides = {},
  random: () => number = Math.random,
): FailureDecision {
  if (error instanceof NonRetryableError) return { kind: "dead", reason: "non-retryable" };
  const retries = overrides.retries ?? task.retries;
  if (attempt > retries) return { kind: "dead", reason: "failed" };
  return { kind: "retry", delay: retryDelay(attempt, overrides.backoff ?? task.backoff, random) };
}

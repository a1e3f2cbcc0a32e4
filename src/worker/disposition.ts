/**
 * What happens to a delivery: a pure function of the delivery, its decoding, the attempt's
 * result (once there is one) and the worker's settings. It decides; `OutcomeWriter` carries the
 * decision out. Every row of the outcome table:
 *
 * | what happened                                     | disposition                          |
 * | ------------------------------------------------- | ------------------------------------ |
 * | redelivered too often (checked first, whatever    | dead, `worker-died`                  |
 * | else it is: a delivery whose settling failed too) |                                      |
 * | body cannot be run (not JSON, unknown task, …)    | dead, with the decoder's reason      |
 * | cancelled (before or while it ran, unless done)   | dead, `cancelled`; or drop, if asked |
 * | another contract version, policy `dead`           | dead, `version-mismatch`             |
 * | redelivered on a classic queue (no broker count)  | requeue, its redeliveries counted    |
 * | its expiry passed before it started               | dead, `expired`                      |
 * | otherwise, before it ran                          | run, as attempt n + 1                |
 * | handler resolved                                  | done                                 |
 * | handler's result refused by its result schema     | dead, `invalid-result`               |
 * | the worker gave it up (closing, grace over)       | requeue                              |
 * | handler threw or timed out, `NonRetryableError`   | dead, `non-retryable`                |
 * | handler threw or timed out, retries used up       | dead, `failed`                       |
 * | handler threw or timed out, retries left          | retry after a backoff delay          |
 *
 * @module
 */
import { NonRetryableError } from "../errors/non_retryable_error.ts";
import { retryDelay } from "../util/backoff.ts";
import type { AnyContract } from "../task/contract.ts";
import type { DecodedTask, UndecodableTask } from "../task/decode.ts";
import type { DeadReason } from "../wire/dead_reasons.ts";
import { ACQUIRED_COUNT_HEADER, DELIVERY_COUNT_HEADER, HEADERS } from "../wire/headers.ts";
import { countHeader, type IncomingMessage } from "../wire/task_codec.ts";
import type { RetryOverrides, VersionMismatchPolicy } from "./options.ts";

/** What the delivery itself says about its past. */
export interface DeliveryFacts {
  /** The broker's `redelivered` flag. */
  readonly redelivered: boolean;
  /** The broker's count of earlier deliveries (`x-delivery-count`, quorum queues), if any. */
  readonly deliveryCount: number | undefined;
  /**
   * The broker's count of every earlier delivery (`x-acquired-count`, quorum queues of RabbitMQ
   * 4.3 and later), if any. There `x-delivery-count` no longer counts a delivery that a consumer
   * timeout took back; this one does.
   */
  readonly acquiredCount?: number;
  /** Warren's own count of redeliveries since the last retry (`x-warren-deaths`). */
  readonly redeliveries: number;
}

/** What a delivery's flags and headers say about its past. */
export function deliveryFacts(
  message: Pick<IncomingMessage, "properties"> & { readonly fields: { redelivered: boolean } },
): DeliveryFacts {
  const headers = message.properties.headers ?? {};
  return {
    redelivered: message.fields.redelivered,
    deliveryCount: DELIVERY_COUNT_HEADER in headers
      ? countHeader(message, DELIVERY_COUNT_HEADER)
      : undefined,
    ...(ACQUIRED_COUNT_HEADER in headers
      ? { acquiredCount: countHeader(message, ACQUIRED_COUNT_HEADER) }
      : {}),
    redeliveries: countHeader(message, HEADERS.redeliveries),
  };
}

/** How an attempt ended, as the disposition sees it. */
export type AttemptVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly invalidResult: string }
  | {
    readonly ok: false;
    /** What the handler threw, or why its signal fired. */
    readonly error: unknown;
    /** Its message, with causes. */
    readonly message: string;
    /** Whether the worker gave the attempt up itself (closing, grace period over). */
    readonly givenUp: boolean;
  };

/** The settings the disposition depends on. */
export interface DispositionSettings {
  /** Redeliveries after which a task is dead-lettered as `worker-died`. */
  readonly maxRedeliveries: number;
  /** Overrides of the tasks' retry options. */
  readonly overrides: RetryOverrides;
  /** What to do with a task stamped with another contract version. */
  readonly onVersionMismatch: VersionMismatchPolicy;
  /**
   * Where the jitter of retry delays comes from.
   * @default {Math.random}
   */
  readonly random?: () => number;
}

/** What the disposition takes. */
export interface DispositionInput {
  /** What the delivery says about its past. */
  readonly delivery: DeliveryFacts;
  /** How its body decoded. */
  readonly decoded: DecodedTask | UndecodableTask;
  /** How its attempt ended; absent before it ran. */
  readonly attempt?: AttemptVerdict;
  /** The worker's settings. */
  readonly settings: DispositionSettings;
  /** The time now, in epoch milliseconds. */
  readonly now: number;
  /** The cancel request of the task, if one was made. */
  readonly cancelled?: CancelFacts;
}

/** What a cancel request says, as the disposition sees it. */
export interface CancelFacts {
  /** Drop the task rather than dead-letter it. */
  readonly drop: boolean;
  /** Who asked, and when: for the error text. */
  readonly by: string;
  /** When it was asked, ISO 8601. */
  readonly at: string;
}

/** What happens to a delivery. */
export type Disposition =
  | {
    /** Run the handler. */
    readonly kind: "run";
    /** Which attempt it is, from 1. */
    readonly attempt: number;
    /** The contract version the message carries, when it is not the worker's. */
    readonly versionMismatch?: { readonly sent: string; readonly expected: string };
  }
  | {
    /** The handler finished: ack (after the reply, if asked). */
    readonly kind: "done";
    /** Which attempt it was. */
    readonly attempt: number;
  }
  | {
    /** Another attempt after `delay`: a copy through the delay queues, confirmed, then ack. */
    readonly kind: "retry";
    /** The attempt that failed. */
    readonly attempt: number;
    /** Milliseconds until the next attempt. */
    readonly delay: number;
    /** Why the attempt failed. */
    readonly error: string;
  }
  | {
    /** A copy to the dead-letter queue, confirmed, then ack. */
    readonly kind: "dead";
    /** Why. */
    readonly reason: DeadReason;
    /** What exactly went wrong. */
    readonly error: string;
    /** Attempts made, when it ran (or its workers died running it). */
    readonly attempts?: number;
    /** For a cancelled task: whether it was waiting or running. */
    readonly stage?: "queued" | "running";
  }
  | {
    /** Ack, and nothing else: the task was cancelled with `drop`. */
    readonly kind: "drop";
    /** Why, for the log. */
    readonly error: string;
    /** Whether it was waiting or running. */
    readonly stage: "queued" | "running";
  }
  | {
    /** A copy back at the end of the work queue, confirmed, then ack. */
    readonly kind: "requeue";
    /** Why, for the log. */
    readonly reason: string;
    /** Headers set on the copy. */
    readonly headers: Readonly<Record<string, unknown>>;
  };

/**
 * The redeliveries of a delivery since its last retry: Warren's own count on classic queues,
 * the broker's on quorum queues: `x-delivery-count`, or on RabbitMQ 4.3 `x-acquired-count`,
 * which also counts what 4.3 leaves out of `x-delivery-count`: the deliveries a consumer
 * timeout took back, and those the worker gave back with a nack because it could not settle
 * them (which the cap must end too). So the limit means the same on every broker.
 */
export function redeliveriesOf(delivery: DeliveryFacts): number {
  const broker = Math.max(delivery.deliveryCount ?? 0, delivery.acquiredCount ?? 0);
  return delivery.redeliveries + broker;
}

/** Whether the broker counts the deliveries of the message's queue (a quorum queue does). */
function brokerCounts(delivery: DeliveryFacts): boolean {
  return delivery.deliveryCount !== undefined || delivery.acquiredCount !== undefined;
}

/** Decides what happens to a delivery; see the module documentation. */
export function decide(input: DispositionInput): Disposition {
  const { delivery, decoded, attempt, settings, now } = input;
  if (attempt === undefined) {
    // The cap comes first: whatever else the delivery is, it ends.
    const capped = cap(delivery, decoded, settings);
    if (capped) return capped;
  }
  if (!decoded.ok) return { kind: "dead", reason: decoded.reason, error: decoded.error };
  const { contract } = decoded;
  const number = decoded.attempts + 1;
  if (attempt?.ok) return { kind: "done", attempt: number };
  if (input.cancelled) return cancel(input.cancelled, attempt ? number : undefined, decoded);
  if (attempt === undefined) return admit(delivery, decoded, settings, now);
  if ("invalidResult" in attempt) {
    return {
      kind: "dead",
      reason: "invalid-result",
      error: attempt.invalidResult,
      attempts: number,
    };
  }
  if (attempt.givenUp) return { kind: "requeue", reason: attempt.message, headers: {} };
  return failure(contract, number, attempt.error, attempt.message, settings);
}

/**
 * The redelivery cap: a delivery redelivered `maxRedeliveries` times is dead-lettered as
 * `worker-died`, before anything else is decided (a message whose dead-lettering or cancel
 * failed, and whose worker then lost its connection, ends here too).
 */
function cap(
  delivery: DeliveryFacts,
  decoded: DecodedTask | UndecodableTask,
  settings: DispositionSettings,
): Disposition | undefined {
  const redeliveries = redeliveriesOf(delivery);
  if (redeliveries < settings.maxRedeliveries) return undefined;
  const times = `${redeliveries} time${redeliveries === 1 ? "" : "s"}`;
  if (!decoded.ok) {
    return {
      kind: "dead",
      reason: "worker-died",
      error:
        `redelivered ${times} without being settled (it was to be dead-lettered as ${decoded.reason}: ${decoded.error})`,
    };
  }
  return {
    kind: "dead",
    reason: "worker-died",
    error: `worker died while running it ${times}`,
    attempts: decoded.attempts + redeliveries, // each death was an attempt too
  };
}

/** What a cancel of a task that did not finish comes to: a dead letter, or a drop. */
function cancel(
  request: CancelFacts,
  attempt: number | undefined,
  decoded: DecodedTask,
): Disposition {
  const stage = attempt === undefined ? "queued" : "running";
  const error = `cancelled by ${request.by} at ${request.at}, while ${stage}`;
  if (request.drop) return { kind: "drop", error, stage };
  const attempts = attempt ?? decoded.attempts;
  return { kind: "dead", reason: "cancelled", error, stage, ...(attempts > 0 ? { attempts } : {}) };
}

function admit(
  delivery: DeliveryFacts,
  decoded: DecodedTask,
  settings: DispositionSettings,
  now: number,
): Disposition {
  const { contract, version, attempts, expiresAt } = decoded;
  const mismatch = version !== undefined && version !== contract.version
    ? { sent: version, expected: contract.version }
    : undefined;
  if (mismatch && settings.onVersionMismatch === "dead") {
    return {
      kind: "dead",
      reason: "version-mismatch",
      error:
        `the task was enqueued with version ${mismatch.sent} of the contract of '${contract.name}', and this worker has version ${mismatch.expected}: deploy one catalog to producers and workers`,
    };
  }
  if (expiresAt !== undefined && now > expiresAt) {
    return {
      kind: "dead",
      reason: "expired",
      error: `expired at ${new Date(expiresAt).toISOString()}, ${
        now - expiresAt
      } ms before a worker could start it`,
      ...(attempts > 0 ? { attempts } : {}),
    };
  }
  const redeliveries = redeliveriesOf(delivery);
  if (delivery.redelivered && !brokerCounts(delivery)) {
    // A classic queue does not count redeliveries: count them in a header of a fresh copy.
    const count = redeliveries + 1;
    return {
      kind: "requeue",
      reason:
        `redelivered after its worker died or disconnected (${count} of ${settings.maxRedeliveries})`,
      headers: { [HEADERS.redeliveries]: count },
    };
  }
  return { kind: "run", attempt: attempts + 1, ...(mismatch ? { versionMismatch: mismatch } : {}) };
}

/**
 * What follows attempt number `attempt` of `contract` that failed with `error`: a
 * {@linkcode NonRetryableError} or the last allowed attempt goes to dead letters, anything else
 * is retried after an exponential, jittered delay.
 */
function failure(
  contract: AnyContract,
  attempt: number,
  error: unknown,
  message: string,
  settings: DispositionSettings,
): Disposition {
  if (error instanceof NonRetryableError) {
    return { kind: "dead", reason: "non-retryable", error: message, attempts: attempt };
  }
  const retries = settings.overrides.retries ?? contract.retries;
  if (attempt > retries) {
    return { kind: "dead", reason: "failed", error: message, attempts: attempt };
  }
  const backoff = settings.overrides.backoff ?? contract.backoff;
  return {
    kind: "retry",
    attempt,
    delay: retryDelay(attempt, backoff, settings.random),
    error: message,
  };
}

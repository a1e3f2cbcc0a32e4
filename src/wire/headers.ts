/**
 * The headers Warren reads and writes on task messages (a public contract), and those the
 * broker adds.
 *
 * @module
 */

/** Names of the headers Warren reads and writes. */
export const HEADERS = {
  /** Attempts already made before this copy (absent: none). */
  attempts: "x-warren-attempts",
  /**
   * Times the task came back because the worker running it died or lost its connection, since
   * its last retry (classic queues; quorum queues count in `x-delivery-count`, and on RabbitMQ
   * 4.3 in `x-acquired-count`).
   */
  redeliveries: "x-warren-deaths",
  /** Dead letters: why the task was given up, one of `DeadReason`. */
  reason: "x-warren-reason",
  /** Dead letters and retries: the last error message. */
  error: "x-warren-error",
  /** Time of the first failure (ISO 8601). */
  firstFailure: "x-warren-first-failure",
  /** Time of the last failure (ISO 8601). */
  lastFailure: "x-warren-last-failure",
  /** Id of the worker that gave the task up. */
  worker: "x-warren-worker",
  /** The queue the task was taken from. */
  queue: "x-warren-queue",
  /**
   * A dead letter whose body was cut to fit (its full copy was refused): the whole body's length
   * in bytes.
   */
  bodyBytes: "x-warren-body-bytes",
  /** When the task expires: a worker that gets it later dead-letters it unrun (epoch ms). */
  expires: "x-warren-expires",
  /**
   * A replayed dead letter: when it was replayed (ISO 8601). A cancel of the task made before
   * then does not apply to this copy.
   */
  replayed: "x-warren-replayed",
} as const;

/**
 * The header that quorum queues set on redelivered messages. On RabbitMQ 4.3 it counts failed
 * deliveries only (a reject, a consumer or channel that went away with the message), no longer a
 * `basic.nack` or a consumer timeout: see {@linkcode ACQUIRED_COUNT_HEADER}.
 */
export const DELIVERY_COUNT_HEADER = "x-delivery-count";

/**
 * The header that quorum queues of RabbitMQ 4.3 and later set on redelivered messages: how many
 * times the message was delivered before, whatever became of each delivery.
 */
export const ACQUIRED_COUNT_HEADER = "x-acquired-count";

/** Headers the broker adds (dead-lettering, redelivery counts), dropped from Warren's copies. */
export const BROKER_HEADERS: readonly string[] = [
  "x-death",
  DELIVERY_COUNT_HEADER,
  ACQUIRED_COUNT_HEADER,
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-last-death-exchange",
  "x-last-death-queue",
  "x-last-death-reason",
];

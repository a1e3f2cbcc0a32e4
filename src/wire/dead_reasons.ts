/**
 * Why a task went to the dead-letter queue: the values of the `x-warren-reason` header.
 *
 * @module
 */

/**
 * Every dead-letter reason, in the order the README lists them. All are Warren's but the last:
 * `delivery-limit` is what the admin tools show for a message that the broker itself moved to
 * `Q.dead` after its quorum queue's delivery limit (RabbitMQ 4: 20 by default).
 */
export const DEAD_REASONS = [
  "too-large",
  "invalid-utf8",
  "not-json",
  "not-object",
  "no-task",
  "unknown-task",
  "invalid-payload",
  "version-mismatch",
  "expired",
  "cancelled",
  "failed",
  "non-retryable",
  "invalid-result",
  "worker-died",
  "delivery-limit",
] as const;

/** Why a message went to the dead-letter queue. */
export type DeadReason = typeof DEAD_REASONS[number];

/** Whether `value` is a dead-letter reason. */
export function isDeadReason(value: string): value is DeadReason {
  return (DEAD_REASONS as readonly string[]).includes(value);
}

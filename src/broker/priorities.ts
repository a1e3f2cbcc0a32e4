/**
 * Which message priorities a work queue honours: a classic queue those up to its
 * `x-max-priority` (declared with `maxPriority`); a quorum queue on RabbitMQ 4.3 and later 0 to
 * 31, strictly; on RabbitMQ 4.0 to 4.2 two levels (normal for 0 to 4, high above); on RabbitMQ
 * 3.x none. A priority the queue would ignore is refused, never sent.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import type { BrokerFeatures } from "./features.ts";
import type { QueueType } from "./topology.ts";

/** What a work queue does with priorities. */
export type PrioritySupport =
  | { readonly ok: true; readonly max: number }
  | { readonly ok: false; readonly why: string };

/** The highest priority of a quorum queue with 32 levels (RabbitMQ 4.3 and later). */
export const QUORUM_MAX_PRIORITY = 31;

/**
 * What the work queue `queue` does with priorities; pure.
 *
 * @example
 * ```ts
 * import { brokerFeatures } from "./features.ts";
 * import { prioritySupport } from "./priorities.ts";
 *
 * const features = brokerFeatures("4.3.6");
 * prioritySupport("jobs", "quorum", { maxPriority: undefined, features, adopted: false });
 * // { ok: true, max: 31 }
 * ```
 */
export function prioritySupport(
  queue: string,
  type: QueueType,
  options: { maxPriority: number | undefined; features: BrokerFeatures; adopted: boolean },
): PrioritySupport {
  if (type === "quorum") {
    switch (options.features.quorumPriorityLevels) {
      case 32:
        return { ok: true, max: QUORUM_MAX_PRIORITY };
      case 2:
        return { ok: true, max: 255 };
      default:
        return {
          ok: false,
          why:
            `the quorum queue '${queue}' has no priorities on RabbitMQ ${options.features.version} (RabbitMQ 4.0 gives quorum queues two levels, 4.3 thirty-two): use a classic queue with --max-priority, or upgrade the broker`,
        };
    }
  }
  if (options.maxPriority === undefined) {
    return {
      ok: false,
      why:
        `the classic queue '${queue}' is not declared with priorities: give maxPriority (--max-priority N) to producers and workers`,
    };
  }
  if (options.adopted) {
    return {
      ok: false,
      why:
        `the queue '${queue}' exists without x-max-priority ${options.maxPriority} and was adopted as it is (see the queue.adopted warning for how to migrate)`,
    };
  }
  return { ok: true, max: options.maxPriority };
}

/** Checks priority `priority` of task `task` against `support`; throws a `ConfigError`. */
export function checkPriority(task: string, priority: number, support: PrioritySupport): void {
  if (!support.ok) {
    throw new ConfigError(`Cannot give task '${task}' priority ${priority}: ${support.why}`);
  }
  if (priority > support.max) {
    throw new ConfigError(
      `Cannot give task '${task}' priority ${priority}: the queue's highest priority is ${support.max}${
        support.max === QUORUM_MAX_PRIORITY ? " (a quorum queue has 32 levels, 0 to 31)" : ""
      }`,
    );
  }
}

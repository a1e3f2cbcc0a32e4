/**
 * The queues of flow control for a work queue `Q`, whose number grows only with the number of
 * rate-limited task names:
 *
 * - `Q.part.<i>` (`i` from 0 to the partition count - 1): the key partitions, each consumed by
 *   one worker at a time (single active consumer); a keyed task goes to the partition of its key.
 * - `Q.limited.<task>`: where the tasks of a rate-limited task wait for a token.
 * - `Q.tokens.<task>`: the token bucket of that task, at most `burst` tokens long.
 * - `Q.refill.<task>`: the refiller's baton: the worker that holds its one message fills the
 *   bucket.
 *
 * @module
 */
import type { QueueNames } from "../broker/topology.ts";
import { ConfigError } from "../errors/config_error.ts";
import { boundText, utf8Bytes } from "../util/bounds.ts";

/** The names of the flow-control queues of one work queue. */
export interface FlowNames {
  /** The key partition `i`. */
  partition(i: number): string;
  /** Where the tasks of rate-limited `task` wait for a token. */
  limited(task: string): string;
  /** The token bucket of rate-limited `task`. */
  tokens(task: string): string;
  /** The refiller's baton queue of rate-limited `task`. */
  refill(task: string): string;
}

/** The longest queue name RabbitMQ takes, in bytes. */
const MAX_QUEUE_NAME_BYTES = 255;

function checked(name: string, task: string): string {
  if (utf8Bytes(name) > MAX_QUEUE_NAME_BYTES) {
    throw new ConfigError(
      `Cannot rate-limit task '${boundText(task, 80)}' on this work queue: its queue '${
        boundText(name, 80)
      }' would be over ${MAX_QUEUE_NAME_BYTES} bytes; shorten the task's or the queue's name`,
    );
  }
  return name;
}

/**
 * The flow-control queue names of work queue `names.main`.
 *
 * @example
 * ```ts
 * import { queueNames } from "../broker/topology.ts";
 * import { flowNames } from "./names.ts";
 *
 * const flow = flowNames(queueNames("jobs"));
 * flow.partition(3); // "jobs.part.3"
 * flow.tokens("call"); // "jobs.tokens.call"
 * ```
 */
export function flowNames(names: QueueNames): FlowNames {
  const q = names.main;
  return {
    partition: (i) => `${q}.part.${i}`,
    limited: (task) => checked(`${q}.limited.${task}`, task),
    tokens: (task) => checked(`${q}.tokens.${task}`, task),
    refill: (task) => checked(`${q}.refill.${task}`, task),
  };
}

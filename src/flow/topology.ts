/**
 * How each flow-control queue is declared (see `names.ts` for what each holds):
 *
 * - a partition: a quorum queue, whatever the work queue's type, with the work queue's
 *   dead-lettering and `x-single-active-consumer`: every worker consumes it, and the broker
 *   delivers to one of them at a time, moving to another only when that one's channel closes
 *   (its unacked task goes back to the head). Quorum, because the broker counts redeliveries
 *   there (`x-delivery-count`): a task that kills its workers is dead-lettered after
 *   `maxRedeliveries` while staying at its key's head until then (a classic queue counts
 *   nothing, and a counted copy would go to the end), and acks survive a crash.
 * - a waiting queue of a limited task: as the work queue.
 * - a token bucket: a classic durable queue of at most `burst` tokens (`x-max-length`,
 *   `x-overflow: drop-head`); tokens are transient, empty messages.
 * - a refiller's baton queue: classic, durable, single active consumer.
 *
 * @module
 */
import type { Options } from "../deps/amqplib.ts";
import { mainQueueOptions, type QueueNames, type QueueType } from "../broker/topology.ts";

/** How to declare a key partition of work queue `names`: quorum, whatever its type. */
export function partitionQueueOptions(names: QueueNames): Options.AssertQueue {
  const main = mainQueueOptions(names, "quorum");
  return { ...main, arguments: { ...main.arguments, "x-single-active-consumer": true } };
}

/** How to declare the waiting queue of a rate-limited task of work queue `names`. */
export function limitedQueueOptions(names: QueueNames, type: QueueType): Options.AssertQueue {
  return mainQueueOptions(names, type);
}

/** How to declare the token bucket of a rate limit whose burst is `burst`. */
export function tokensQueueOptions(burst: number): Options.AssertQueue {
  return { durable: true, arguments: { "x-max-length": burst, "x-overflow": "drop-head" } };
}

/** How to declare a refiller's baton queue. */
export function refillQueueOptions(): Options.AssertQueue {
  return { durable: true, arguments: { "x-single-active-consumer": true } };
}

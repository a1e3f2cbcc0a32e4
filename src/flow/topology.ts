/**
 * How each flow-control queue is declared (see `names.ts` for what each holds):
 *
 * - a partition: durable, of the work queue's type and arguments, with
 *   `x-single-active-consumer`: every worker consumes it, and the broker delivers to one of
 *   them at a time, moving to another only when that one's channel closes (its unacked task
 *   goes back to the head).
 * - a waiting queue of a limited task: as the work queue.
 * - a token bucket: a classic durable queue of at most `burst` tokens (`x-max-length`,
 *   `x-overflow: drop-head`); tokens are transient, empty messages.
 * - a refiller's baton queue: classic, durable, single active consumer.
 *
 * @module
 */
import type { Options } from "../deps/amqplib.ts";
import { mainQueueOptions, type QueueNames, type QueueType } from "../broker/topology.ts";

/** How to declare a key partition of work queue `names`. */
export function partitionQueueOptions(names: QueueNames, type: QueueType): Options.AssertQueue {
  const main = mainQueueOptions(names, type);
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

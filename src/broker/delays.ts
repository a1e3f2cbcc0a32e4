/**
 * Where a message goes to wait `delay` milliseconds before it returns to its work queue: a
 * durable delay queue `Q.retry.<ms>` per delay (declared on first use on each link), whose
 * message TTL then dead-letters the message back to `Q`.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";
import type { Link } from "./link.ts";
import { declareQueues } from "./declare.ts";
import { type QueueNames, type QueueType, retryQueueOptions } from "./topology.ts";

/** Where to publish a message that must wait. */
export interface DelayRoute {
  /** The exchange (`""`: the default exchange). */
  readonly exchange: string;
  /** The routing key. */
  readonly routingKey: string;
}

/** Routes to the delay queues of one work queue; declares each on first use per link. */
export class DelayRoutes {
  readonly #names: QueueNames;
  readonly #type: QueueType;
  readonly #log: Logger;
  readonly #declared = new WeakMap<Link, Set<string>>();

  /** Routes for the work queue `names`, of type `type`. */
  constructor(names: QueueNames, type: QueueType, log: Logger) {
    this.#names = names;
    this.#type = type;
    this.#log = log;
  }

  /** Where a message that must wait `delay` ms goes, on `link` (declared when it is new). */
  async route(link: Link, delay: number): Promise<DelayRoute> {
    const queue = this.#names.retry(delay);
    let declared = this.#declared.get(link);
    if (!declared) this.#declared.set(link, declared = new Set());
    if (!declared.has(queue)) {
      await declareQueues(
        link,
        [[queue, retryQueueOptions(this.#names, this.#type, delay)]],
        this.#log,
      );
      declared.add(queue);
    }
    return { exchange: "", routingKey: queue };
  }
}

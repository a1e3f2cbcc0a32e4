/**
 * What the broker can do, from the version it announces when a connection opens: the few
 * differences between RabbitMQ 3.x, 4.0 to 4.2, and 4.3 and later that change how Warren
 * declares its queues, consumes them and reads their counts.
 *
 * @module
 */

/** What a broker can do, as far as Warren's topology goes. */
export interface BrokerFeatures {
  /** The version announced (`"3.10.8"`, `"4.0.5"`, `"4.3.6"`), or `"unknown"`. */
  readonly version: string;
  /** The major version (0 when unknown). */
  readonly major: number;
  /** The minor version (0 when unknown). */
  readonly minor: number;
  /**
   * Quorum queues drop (or dead-letter) a message redelivered more than 20 times unless the
   * queue sets its own `x-delivery-limit` (RabbitMQ 4.0+); -1 turns the limit off there, while
   * on 3.x -1 drops a message at its first redelivery.
   */
  readonly quorumDeliveryLimit: boolean;
  /** Quorum queues honour message priorities (RabbitMQ 4.0+): see `quorumPriorityLevels`. */
  readonly quorumPriorities: boolean;
  /**
   * The priority levels of a quorum queue, always on and with no queue argument (it refuses
   * `x-max-priority`): none on 3.x; two on 4.0 to 4.2 (0 to 4 normal, 5 and above high, about
   * two high ones delivered per normal one); 32 on 4.3 and later (0 to 31, strict; a message
   * without a priority counts as 4).
   */
  readonly quorumPriorityLevels: 0 | 2 | 32;
  /**
   * Consumer timeouts are enforced by quorum queues alone, per consumer (`x-consumer-timeout`,
   * else the queue's or the broker's `consumer_timeout`), and a consumer that times out is
   * cancelled (`basic.cancel`) with its deliveries returned to the queue, while its channel
   * stays open; classic queues and streams enforce none (RabbitMQ 4.3+). Before 4.3 the broker's
   * `consumer_timeout` closes the channel, whatever the queue type.
   */
  readonly quorumConsumerTimeout: boolean;
}

/**
 * The features of a broker of version `version`. An unknown version is taken as 3.x-like for
 * what could drop messages (no `x-delivery-limit: -1`, which 3.x reads as "drop at once").
 *
 * @example
 * ```ts
 * import { brokerFeatures } from "./features.ts";
 *
 * brokerFeatures("4.0.5").quorumDeliveryLimit; // true
 * brokerFeatures("3.10.8").quorumPriorities; // false
 * brokerFeatures("4.3.6").quorumPriorityLevels; // 32
 * ```
 */
export function brokerFeatures(version: string): BrokerFeatures {
  const [, majorText, minorText] = /^(\d+)\.(\d+)/.exec(version) ?? [];
  const major = Number(majorText ?? 0);
  const minor = Number(minorText ?? 0);
  const atLeast43 = major > 4 || (major === 4 && minor >= 3);
  return {
    version,
    major,
    minor,
    quorumDeliveryLimit: major >= 4,
    quorumPriorities: major >= 4,
    quorumPriorityLevels: atLeast43 ? 32 : major >= 4 ? 2 : 0,
    quorumConsumerTimeout: atLeast43,
  };
}

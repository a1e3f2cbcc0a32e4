/**
 * What the broker can do, from the version it announces when a connection opens: the few
 * differences between RabbitMQ 3.x and 4.x that change how Warren declares its queues.
 *
 * @module
 */

/** What a broker can do, as far as Warren's topology goes. */
export interface BrokerFeatures {
  /** The version announced (`"3.10.8"`, `"4.0.5"`), or `"unknown"`. */
  readonly version: string;
  /** The major version (0 when unknown). */
  readonly major: number;
  /**
   * Quorum queues drop (or dead-letter) a message redelivered more than 20 times unless the
   * queue sets its own `x-delivery-limit` (RabbitMQ 4.0+); -1 turns the limit off there, while
   * on 3.x -1 drops a message at its first redelivery.
   */
  readonly quorumDeliveryLimit: boolean;
  /** Quorum queues honour message priorities, as two levels, normal and high (RabbitMQ 4.0+). */
  readonly quorumPriorities: boolean;
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
 * ```
 */
export function brokerFeatures(version: string): BrokerFeatures {
  const major = Number(/^(\d+)\./.exec(version)?.[1] ?? 0);
  return {
    version,
    major,
    quorumDeliveryLimit: major >= 4,
    quorumPriorities: major >= 4,
  };
}

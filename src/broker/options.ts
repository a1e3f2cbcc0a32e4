/**
 * {@linkcode BrokerOptions}: where the broker is and which work queue to use, shared by the
 * producer, the worker and the admin tools, and checked the same way for all of them.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { defaultLogger, type Logger, silentLogger } from "../util/logger.ts";
import { checkNumber } from "../util/numbers.ts";
import {
  DEFAULT_QUEUE,
  parseQueueType,
  type QueueNames,
  queueNames,
  type QueueType,
} from "./topology.ts";
import { DEFAULT_URL, parseUrls } from "./urls.ts";

/** Where the broker is and which work queue to use. */
export interface BrokerOptions {
  /**
   * Broker URL, or several tried in turn (a string may list several, comma-separated).
   * @default {"amqp://localhost:5672"}
   */
  url?: string | readonly string[];
  /**
   * The work queue.
   * @default {"task_queue"}
   */
  queue?: string;
  /**
   * Type of the queues Warren declares.
   * @default {"classic"}
   */
  queueType?: QueueType;
  /**
   * Where connection, queue and task events are logged; `null` for nowhere. Without one, text
   * lines go to standard error: Warren's own from level `warn` (what needs a look), a worker's
   * handlers' `context.log` from `info`.
   * @default {text lines on standard error, from level warn}
   */
  logger?: Logger | null;
}

/** {@linkcode BrokerOptions}, checked, with the defaults filled in. */
export interface ResolvedBroker {
  /** Broker URLs, tried in turn. */
  readonly urls: readonly string[];
  /** The work queue's queue names. */
  readonly names: QueueNames;
  /** Type of the queues Warren declares. */
  readonly queueType: QueueType;
  /** Where events are logged. */
  readonly logger: Logger;
}

/**
 * Checks `options` and fills in the defaults; throws a `ConfigError` naming the bad option.
 *
 * @example
 * ```ts
 * import { resolveBrokerOptions } from "./options.ts";
 *
 * const broker = resolveBrokerOptions({ url: "amqp://a:5672,amqp://b:5672", queue: "jobs" });
 * broker.urls; // ["amqp://a:5672", "amqp://b:5672"]
 * broker.names.dead; // "jobs.dead"
 * ```
 */
export function resolveBrokerOptions(options: BrokerOptions): ResolvedBroker {
  return {
    urls: parseUrls(options.url ?? DEFAULT_URL, "the 'url' option"),
    names: queueNames(options.queue ?? DEFAULT_QUEUE),
    queueType: parseQueueType(options.queueType ?? "classic", "the 'queueType' option"),
    logger: options.logger === null ? silentLogger : options.logger ?? defaultLogger("warn"),
  };
}

/**
 * The `maxPriority` option of a producer or worker, checked: 1 to 255, and only for a classic
 * work queue (a quorum queue has its own levels on RabbitMQ 4, none on 3.x).
 */
export function resolveMaxPriority(
  options: { readonly maxPriority?: number; readonly queueType?: QueueType },
  action: string,
): number | undefined {
  if (options.maxPriority === undefined) return undefined;
  if (options.queueType === "quorum") {
    throw new ConfigError(
      `Cannot ${action} as 'maxPriority' is for classic queues: a quorum queue has priorities of its own, with no x-max-priority (32 strict levels, 0 to 31, on RabbitMQ 4.3; two on 4.0 to 4.2; none on 3.x); leave maxPriority out`,
    );
  }
  return checkNumber(options.maxPriority, "maxPriority", action, { min: 1, max: 255 });
}

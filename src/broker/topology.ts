/**
 * Every queue Warren uses for a work queue name `Q`, with its arguments, in one place:
 *
 * - `Q`: the work queue, durable; classic by default (declared with no arguments, exactly as a
 *   plain `queue_declare(queue=Q, durable=True)` does), or quorum; with `x-max-priority` when
 *   asked.
 * - `Q.delay.<k>` and `Q.wait.<k>`: the delay levels, an exchange and a quorum queue each (see
 *   `delays.ts`): delayed tasks and retries wait in `Q.wait.<k>`, then the broker routes them to
 *   `Q`. (The first delay levels kept them in queues named `Q.delay.<k>`, of the work queue's
 *   type: those are unbound when found, and empty themselves into the new levels.)
 * - `Q.dead`: durable dead-letter queue; Warren publishes there itself, with headers saying why.
 * - `Q.scheduler`: an exclusive queue, held by the active scheduler (see `scheduler/`).
 * - `Q.scheduler.wake`: where a scheduler that hands the lead over wakes one standby.
 * - `Q.schedules`: the schedules' state, one message (see `scheduler/state.ts`).
 * - `Q.events`: a stream, the tasks' history (see `wire/events.ts`), kept for a time and a size.
 * - `Q.control`: a stream of cancel requests (see `wire/control.ts`), read by every worker.
 * - `Q.retry.<ms>`: the delay queues of Warren 0.1 (one per delay). They empty themselves into
 *   `Q` as their messages' delays pass; nothing declares them any more.
 *
 * The names Warren derives from `Q` are its own: they are refused as work queue names.
 *
 * @module
 */
import type { Options } from "../deps/amqplib.ts";
import { ConfigError } from "../errors/config_error.ts";
import type { BrokerFeatures } from "./features.ts";

/** The queue name used when none is given. */
export const DEFAULT_QUEUE = "task_queue";

/** A queue type: `classic` (the default) or `quorum` (replicated; for clusters). */
export type QueueType = "classic" | "quorum";

/** Queue types Warren declares. */
export const QUEUE_TYPES: readonly QueueType[] = ["classic", "quorum"];

/** Names of the queues that belong to one work queue. */
export interface QueueNames {
  /** The work queue. */
  readonly main: string;
  /** The dead-letter queue. */
  readonly dead: string;
  /** The exchange of delay level `k` (and of the first delay levels, its queue). */
  delay(k: number): string;
  /** The queue of delay level `k`, where delayed tasks and retries wait. */
  wait(k: number): string;
  /** The exclusive queue that the active scheduler holds. */
  readonly scheduler: string;
  /** The queue where a scheduler that hands the lead over wakes a standby. */
  readonly schedulerWake: string;
  /** The queue that holds the schedules' state (their last fires). */
  readonly schedules: string;
  /** The stream of the tasks' history. */
  readonly events: string;
  /** The stream of cancel requests. */
  readonly control: string;
  /** The queue where the members of workflows' fan-outs and groups are joined. */
  readonly join: string;
  /** The delay queue of Warren 0.1 for retries after `delayMs` milliseconds. */
  retry(delayMs: number): string;
}

const MAX_NAME_BYTES = 255 - ".retry.".length - 10;

/** The suffixes of the names Warren derives from a work queue's name, as patterns. */
const OWNED_NAMES: ReadonlyArray<readonly [pattern: RegExp, what: string]> = [
  [/\.dead$/, "dead-letter queue"],
  [/\.retry\.\d+$/, "retry delay queue"],
  [/\.delay\.\d+$/, "delay level"],
  [/\.wait\.\d+$/, "delay level"],
  [/\.scheduler$/, "scheduler lock"],
  [/\.scheduler\.wake$/, "scheduler wake queue"],
  [/\.schedules$/, "schedule state queue"],
  [/\.events$/, "history stream"],
  [/\.control$/, "control stream"],
  [/\.join$/, "workflow join queue"],
  [/\.part\.\d+$/, "key partition"],
  [/\.(?:tokens|limited|refill)\.[a-z][a-z0-9_.-]*$/i, "rate limit queue"],
];

/**
 * The queue names for work queue `queue`; checks the name: not empty, not too long, not
 * RabbitMQ's (`amq.*`) and not one that Warren derives from another work queue's name.
 */
export function queueNames(queue: string): QueueNames {
  if (
    typeof queue !== "string" || queue === "" ||
    new TextEncoder().encode(queue).length > MAX_NAME_BYTES
  ) {
    throw new ConfigError(
      `Cannot use queue '${queue}' as a queue name must hold 1 to ${MAX_NAME_BYTES} bytes`,
    );
  }
  // deno-lint-ignore no-control-regex -- control characters are what this looks for
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(queue);
  if (control || !queue.isWellFormed()) {
    const what = control
      ? `the control character U+${
        control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")
      } at position ${control.index}`
      : "a lone surrogate (not UTF-8)";
    throw new ConfigError(
      `Cannot use queue ${
        JSON.stringify(queue)
      } as its name holds ${what}: give a name of printable characters`,
    );
  }
  if (queue.startsWith("amq.")) {
    throw new ConfigError(
      `Cannot use queue '${queue}' as names starting with 'amq.' are reserved by RabbitMQ`,
    );
  }
  for (const [pattern, what] of OWNED_NAMES) {
    if (pattern.test(queue)) {
      throw new ConfigError(
        `Cannot use queue '${queue}' as a work queue: Warren names its ${what}s like this. Give the work queue's own name (for '${queue}': '${
          queue.replace(pattern, "")
        }')`,
      );
    }
  }
  return {
    main: queue,
    dead: `${queue}.dead`,
    delay: (k) => `${queue}.delay.${k}`,
    wait: (k) => `${queue}.wait.${k}`,
    scheduler: `${queue}.scheduler`,
    schedulerWake: `${queue}.scheduler.wake`,
    schedules: `${queue}.schedules`,
    events: `${queue}.events`,
    control: `${queue}.control`,
    join: `${queue}.join`,
    retry: (delayMs) => `${queue}.retry.${Math.round(delayMs)}`,
  };
}

/** Checks a queue type given as text; `source` names the flag or option in errors. */
export function parseQueueType(value: string, source: string): QueueType {
  if ((QUEUE_TYPES as readonly string[]).includes(value)) return value as QueueType;
  throw new ConfigError(
    `Cannot use ${source} '${value}' as the queue type must be one of ${QUEUE_TYPES.join(", ")}`,
  );
}

function typeArguments(type: QueueType): Record<string, unknown> {
  return type === "quorum" ? { "x-queue-type": "quorum" } : {};
}

/**
 * How to declare the work queue `names.main`. A classic one has no arguments (as a plain
 * `queue_declare(durable=True)`), but `x-max-priority` when `maxPriority` is given (never on a
 * quorum queue, which refuses it: on RabbitMQ 4 it has priority levels of its own, two on 4.0
 * to 4.2, 32 on 4.3). A quorum one dead-letters what the broker gives up on (its
 * delivery limit, 20 by default on RabbitMQ 4) to `Q.dead`, at least once, so that nothing
 * vanishes: Warren's own redelivery limit (5 by default) comes first.
 */
export function mainQueueOptions(
  names: QueueNames,
  type: QueueType,
  maxPriority?: number,
): Options.AssertQueue {
  if (type === "classic") {
    return {
      durable: true,
      arguments: maxPriority === undefined ? {} : { "x-max-priority": maxPriority },
    };
  }
  return {
    durable: true,
    arguments: {
      ...typeArguments(type),
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": names.dead,
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
    },
  };
}

/**
 * How to declare the dead-letter queue. A quorum one on RabbitMQ 4 has its delivery limit
 * turned off: listing dead letters gives them back with a nack, which counts as a delivery, and
 * the default limit would drop a dead letter listed 20 times. (RabbitMQ 3.x has no default
 * limit, and reads the -1 that turns it off on 4.x as "drop at the first redelivery".)
 */
export function deadQueueOptions(type: QueueType, features: BrokerFeatures): Options.AssertQueue {
  const args = typeArguments(type);
  if (type === "quorum" && features.quorumDeliveryLimit) args["x-delivery-limit"] = -1;
  return { durable: true, arguments: args };
}

/**
 * How to declare the join queue `names.join`: of the work queue's type, with a single active
 * consumer (one worker joins at a time; the others stand by, and one takes over, with what the
 * first held, when it goes).
 */
export function joinQueueOptions(type: QueueType): Options.AssertQueue {
  return { durable: true, arguments: { ...typeArguments(type), "x-single-active-consumer": true } };
}

/**
 * The arguments of a worker's consumer on its work queue: on a quorum queue of RabbitMQ 4.3 and
 * later, which enforces consumer timeouts per consumer, `x-consumer-timeout`, the timeout the
 * worker was told (`consumerTimeout`), so that it knows when the broker takes a delivery back;
 * otherwise none, and the broker's `consumer_timeout` applies (which closes the channel).
 *
 * @example
 * ```ts
 * import { brokerFeatures } from "./features.ts";
 * import { consumerArguments } from "./topology.ts";
 *
 * consumerArguments("quorum", brokerFeatures("4.3.6"), 7_200_000);
 * // { "x-consumer-timeout": 7200000 }
 * consumerArguments("quorum", brokerFeatures("4.0.5"), 7_200_000); // {}
 * ```
 */
export function consumerArguments(
  type: QueueType,
  features: BrokerFeatures,
  consumerTimeout: number,
): Record<string, unknown> {
  if (type !== "quorum" || !features.quorumConsumerTimeout) return {};
  return { "x-consumer-timeout": Math.ceil(consumerTimeout) };
}

/** How long and how much a stream keeps (the older segments go first). */
export interface StreamRetention {
  /** Milliseconds an event is kept, at least. */
  readonly maxAgeMs: number;
  /** Bytes the stream may hold. */
  readonly maxBytes: number;
}

/** The largest segment of a Warren stream: retention drops whole segments. */
const MAX_SEGMENT_BYTES = 100_000_000;

/**
 * How to declare a stream (`Q.events`, `Q.control`): durable, with `x-max-age` and
 * `x-max-length-bytes` from `retention`, in segments of at most 100 MB (or a tenth of the
 * size) so that retention trims in small steps.
 */
export function streamOptions(retention: StreamRetention): Options.AssertQueue {
  const segment = Math.max(1_000_000, Math.min(MAX_SEGMENT_BYTES, retention.maxBytes / 10));
  return {
    durable: true,
    arguments: {
      "x-queue-type": "stream",
      "x-max-age": `${Math.max(1, Math.ceil(retention.maxAgeMs / 1000))}s`,
      "x-max-length-bytes": retention.maxBytes,
      "x-stream-max-segment-size-bytes": Math.floor(segment),
    },
  };
}

/**
 * Every queue Warren uses for a queue name `Q`, with its arguments, in one place:
 *
 * - `Q`: the work queue, durable; classic by default (declared with no arguments, exactly as a
 *   plain `queue_declare(queue=Q, durable=True)` does), or quorum.
 * - `Q.retry.<ms>`: durable delay queues: a message waits there for its TTL, then the broker
 *   dead-letters it back to `Q`.
 * - `Q.dead`: durable dead-letter queue; Warren publishes there itself, with headers saying why.
 *
 * A queue that already exists with other arguments is adopted as it is, with a warning.
 *
 * @module
 */
import type { Channel, ChannelModel, Options } from "amqplib";
import { ConfigError, describeError } from "./errors.ts";
import type { Logger } from "./logger.ts";

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
  /** The delay queue for retries after `delayMs` milliseconds. */
  retry(delayMs: number): string;
}

const MAX_NAME_BYTES = 255 - ".retry.".length - 10;

/** The queue names for work queue `queue`; checks the name. */
export function queueNames(queue: string): QueueNames {
  if (queue === "" || new TextEncoder().encode(queue).length > MAX_NAME_BYTES) {
    throw new ConfigError(
      `Cannot use queue '${queue}' as a queue name must hold 1 to ${MAX_NAME_BYTES} bytes`,
    );
  }
  if (queue.startsWith("amq.")) {
    throw new ConfigError(
      `Cannot use queue '${queue}' as names starting with 'amq.' are reserved by RabbitMQ`,
    );
  }
  return {
    main: queue,
    dead: `${queue}.dead`,
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

/** How to declare the work queue. */
export function mainQueueOptions(type: QueueType): Options.AssertQueue {
  return { durable: true, arguments: typeArguments(type) };
}

/** How to declare the dead-letter queue. */
export function deadQueueOptions(type: QueueType): Options.AssertQueue {
  return { durable: true, arguments: typeArguments(type) };
}

/** How to declare the delay queue that holds retries for `delayMs` before returning them. */
export function retryQueueOptions(
  names: QueueNames,
  type: QueueType,
  delayMs: number,
): Options.AssertQueue {
  const args: Record<string, unknown> = {
    ...typeArguments(type),
    "x-message-ttl": Math.round(delayMs),
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": names.main,
  };
  if (type === "quorum") {
    // Quorum queues dead-letter at most once unless told otherwise.
    args["x-dead-letter-strategy"] = "at-least-once";
    args["x-overflow"] = "reject-publish";
  }
  return { durable: true, arguments: args };
}

function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 406 ||
    describeError(err).includes("PRECONDITION_FAILED");
}

async function openChannel(model: ChannelModel): Promise<Channel> {
  const channel = await model.createChannel();
  channel.on("error", () => {}); // errors reject the operation that caused them
  return channel;
}

/**
 * Declares the queues on their own channel. A queue that exists with other arguments makes the
 * broker close the channel with PRECONDITION_FAILED: it is then checked passively, adopted as it
 * is, and a warning says what that costs.
 */
export async function declareQueues(
  model: ChannelModel,
  queues: ReadonlyArray<readonly [name: string, options: Options.AssertQueue]>,
  logger: Logger,
): Promise<void> {
  let channel = await openChannel(model);
  try {
    for (const [name, options] of queues) {
      try {
        await channel.assertQueue(name, options);
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        channel = await openChannel(model);
        await channel.checkQueue(name);
        logger.warn("queue.adopted", {
          queue: name,
          wanted: options.arguments,
          detail: describeError(err),
          cost:
            "the queue exists with other arguments (type, durability or TTL); Warren uses it as it is, so it may not be durable or of the type asked for: delete it or pick another name to get Warren's",
        });
      }
    }
  } finally {
    await channel.close().catch(() => {});
  }
}

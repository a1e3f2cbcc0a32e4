/**
 * Looking at and emptying queues by AMQP: passive declares, each on a channel of its own
 * (a passive declare of a missing queue closes its channel with 404 NOT_FOUND), and purges.
 *
 * @module
 */
import type { Channel, ChannelModel } from "amqplib";

/** A queue that the broker does not have. */
export class MissingQueueError extends Error {
  /** The queue's name. */
  readonly queue: string;

  /** Creates an error for `queue`; `hint` says what to check. */
  constructor(queue: string, hint: string, options?: ErrorOptions) {
    super(`Queue '${queue}' does not exist on the broker: ${hint}`, options);
    this.name = "MissingQueueError";
    this.queue = queue;
  }
}

/** What a passive declare tells about a queue. */
export interface QueueCounts {
  /** Messages ready for delivery. */
  readonly ready: number;
  /** Consumers attached. */
  readonly consumers: number;
}

/** Opens a channel whose errors reject the operation that caused them, not the process. */
export async function quietChannel(model: ChannelModel): Promise<Channel> {
  const channel = await model.createChannel();
  channel.on("error", () => {});
  return channel;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 404;
}

/**
 * The counts of `queue` by a passive declare on a fresh channel, or `undefined` when it does
 * not exist.
 */
export async function inspectQueue(
  model: ChannelModel,
  queue: string,
): Promise<QueueCounts | undefined> {
  const channel = await quietChannel(model);
  try {
    const { messageCount, consumerCount } = await channel.checkQueue(queue);
    return { ready: messageCount, consumers: consumerCount };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** The counts of `queue`; a {@linkcode MissingQueueError} with `hint` when it does not exist. */
export async function requireQueue(
  model: ChannelModel,
  queue: string,
  hint: string,
): Promise<QueueCounts> {
  const counts = await inspectQueue(model, queue);
  if (counts === undefined) throw new MissingQueueError(queue, hint);
  return counts;
}

/**
 * Removes every ready message of `queue` (messages that consumers hold unacknowledged stay);
 * resolves to how many were removed.
 */
export async function purgeQueue(model: ChannelModel, queue: string): Promise<number> {
  const channel = await quietChannel(model);
  try {
    return (await channel.purgeQueue(queue)).messageCount;
  } catch (err) {
    if (isNotFound(err)) {
      throw new MissingQueueError(queue, "check the queue name", { cause: err });
    }
    throw err;
  } finally {
    await channel.close().catch(() => {});
  }
}

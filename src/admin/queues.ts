/**
 * Looking at and emptying queues by AMQP: passive declares, each on a helper channel of its own
 * (a passive declare of a missing queue closes its channel with 404 NOT_FOUND), and purges.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";

/** What a passive declare tells about a queue. */
export interface QueueCounts {
  /** Messages ready for delivery. */
  readonly ready: number;
  /** Consumers attached. */
  readonly consumers: number;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 404;
}

/**
 * The error for a queue of `names` that does not exist: the same words from every command.
 * `name` is the work queue or its dead-letter queue.
 */
export function missingQueueError(names: QueueNames, name: string, cause?: unknown): Error {
  const hint = name === names.dead
    ? `no worker ever ran on the work queue '${names.main}' (workers declare it), or the queue name is wrong: check --queue or WARREN_QUEUE`
    : "check the queue name (--queue or WARREN_QUEUE)";
  return new MissingQueueError(name, hint, cause === undefined ? undefined : { cause });
}

/**
 * The counts of `queue` by a passive declare on a fresh channel, or `undefined` when it does
 * not exist.
 */
export async function inspectQueue(link: Link, queue: string): Promise<QueueCounts | undefined> {
  const channel = await link.channel({ onClose: "ignore" });
  try {
    const { messageCount, consumerCount } = await channel.checkQueue(queue);
    return { ready: messageCount, consumers: consumerCount };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  } finally {
    await link.closeChannel(channel);
  }
}

/** The counts of `queue`, one of `names`; a `MissingQueueError` when it does not exist. */
export async function requireQueue(
  link: Link,
  names: QueueNames,
  queue: string,
): Promise<QueueCounts> {
  const counts = await inspectQueue(link, queue);
  if (counts === undefined) throw missingQueueError(names, queue);
  return counts;
}

/**
 * Removes every ready message of `queue`, one of `names` (messages that consumers hold
 * unacknowledged stay); resolves to how many were removed.
 */
export async function purgeQueue(link: Link, names: QueueNames, queue: string): Promise<number> {
  const channel = await link.channel({ onClose: "ignore" });
  try {
    return (await channel.purgeQueue(queue)).messageCount;
  } catch (err) {
    if (isNotFound(err)) throw missingQueueError(names, queue, err);
    throw err;
  } finally {
    await link.closeChannel(channel);
  }
}

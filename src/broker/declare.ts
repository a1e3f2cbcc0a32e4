/**
 * Declaring queues, and adopting a queue that exists with other arguments.
 *
 * @module
 */
import type { Channel, Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Logger } from "../util/logger.ts";
import type { Link } from "./link.ts";

function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 406 ||
    describeError(err).includes("PRECONDITION_FAILED");
}

/** What a declare asked for that an adopted queue may lack, and how to migrate. */
function costOf(options: Options.AssertQueue): string {
  const base =
    "the queue exists with other arguments (type, durability, TTL or priorities); Warren uses it as it is, so it may not be durable or of the type asked for: delete it or pick another name to get Warren's";
  if (options.arguments?.["x-max-priority"] === undefined) return base;
  return `${base}. It has no x-max-priority, so Warren refuses priorities on it: to migrate, stop the producers, let the workers empty it, delete it, and start producers and workers with --max-priority (or move to a new queue name)`;
}

/**
 * Declares the queues on a helper channel of `link`. A queue that exists with other arguments
 * makes the broker close the channel with PRECONDITION_FAILED: it is then checked passively,
 * adopted as it is, and a warning says what that costs. Resolves to the names adopted.
 */
export async function declareQueues(
  link: Link,
  queues: ReadonlyArray<readonly [name: string, options: Options.AssertQueue]>,
  logger: Logger,
): Promise<Set<string>> {
  const adopted = new Set<string>();
  let channel: Channel = await link.channel({ onClose: "ignore" });
  try {
    for (const [name, options] of queues) {
      try {
        await channel.assertQueue(name, options);
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        channel = await link.channel({ onClose: "ignore" });
        await channel.checkQueue(name);
        adopted.add(name);
        logger.warn("queue.adopted", {
          queue: name,
          wanted: options.arguments,
          detail: describeError(err),
          cost: costOf(options),
        });
      }
    }
  } finally {
    await link.closeChannel(channel);
  }
  return adopted;
}

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

/** What differs between a queue as it exists and as Warren declared it. */
export interface AdoptionNote {
  /** The argument that differs (`x-queue-type`, `durable`…), when the broker named it. */
  readonly arg?: string;
  /** Its value on the existing queue (`none` when it has none). */
  readonly has?: string;
  /** The value Warren asked for (`none` when it asked for none). */
  readonly wanted?: string;
  /** What using the queue as it is costs, and how to get Warren's queue instead. */
  readonly cost: string;
}

const MAX_DETAIL = 160;

/** `the value 'quorum' of type 'longstr'` or `'quorum'` -> `quorum`; `none` stays. */
function argValue(text: string): string {
  const quoted = /'([^']*)'/.exec(text);
  return quoted?.[1] ?? text.trim();
}

/**
 * What adopting a queue costs, from the broker's PRECONDITION_FAILED text (`inequivalent arg
 * 'x-queue-type' for queue 'q' in vhost '/': received none but current is the value 'quorum' of
 * type 'longstr'`) and the options Warren declared it with: a short note, not the raw error.
 */
export function adoptionNote(options: Options.AssertQueue, error: string): AdoptionNote {
  const match = /inequivalent arg '([^']+)' for queue .*?: received (.+?) but current is (.+?)"?$/
    .exec(error.trim());
  const arg = match?.[1];
  // No x-queue-type is a classic queue.
  const value = (text: string) => {
    const v = argValue(text);
    return arg === "x-queue-type" && v === "none" ? "classic" : v;
  };
  const has = match ? value(match[3]!) : undefined;
  const wanted = match ? value(match[2]!) : undefined;
  const fix = "delete it once empty, or use another queue name, to get Warren's";
  let cost: string;
  if (arg === "x-max-priority" || options.arguments?.["x-max-priority"] !== undefined) {
    cost =
      "it has no priorities, so Warren refuses them on it; to add them, stop the producers, let it empty, delete it and restart with --max-priority (or use another queue name)";
  } else if (arg === "durable" && has === "false") {
    cost = `it stays transient: its tasks are lost when the broker restarts; ${fix}`;
  } else if (arg === "x-queue-type") {
    cost = `it stays a ${has} queue, not ${wanted}; ${fix}`;
  } else {
    cost = `Warren uses it with its own ${arg ?? "arguments"}; ${fix}`;
  }
  if (arg !== undefined && has !== undefined && wanted !== undefined) {
    return { arg, has, wanted, cost };
  }
  const detail = error.length > MAX_DETAIL ? `${error.slice(0, MAX_DETAIL)}…` : error;
  return { cost: `${cost} (${detail})` };
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
        logger.warn("queue.adopted", { queue: name, ...adoptionNote(options, describeError(err)) });
      }
    }
  } finally {
    await link.closeChannel(channel);
  }
  return adopted;
}

/**
 * Declaring queues, and adopting a queue that exists with other arguments.
 *
 * @module
 */
import type { Channel, Options } from "../deps/amqplib.ts";
import { ConnectionError } from "../errors/connection_error.ts";
import { describeError } from "../errors/describe.ts";
import { pause, withTimeout } from "../util/deadline.ts";
import type { Logger } from "../util/logger.ts";
import type { Link } from "./link.ts";

/**
 * How long a declaration may wait for the broker. A quorum queue without a leader never answers
 * (RabbitMQ logs `leader not known` for it): the declaration fails rather than waiting forever.
 */
const DECLARE_TIMEOUT_MS = 30_000;

/**
 * How long a quorum queue that a declaration created is held back before the declaration
 * resolves. RabbitMQ (3.10.8 and 4.3.6, measured) writes the registry of its quorum queues' Raft
 * members to disk on a 500 ms timer: a broker killed (`kill -9`, power loss) before that brings
 * a new quorum queue back empty (4.3) or without a leader (3.10), and what was confirmed into it
 * is gone. Measured on private nodes (20 confirmed messages, then `kill -9`): killed 900 ms after
 * its creation, such a queue lost what it held 4 times in 4; after 1.1 s, none 4 times in 4. Paid
 * once per queue, when Warren creates it (a delay level on its first use, a quorum work queue).
 */
export const NEW_QUORUM_QUEUE_HOLD_MS = 2_000;

/**
 * How long after deleting quorum queues (see {@linkcode declareQueues}) they are declared again:
 * RabbitMQ 3.10.8 answers a deletion before the queue's Raft member is gone.
 */
const DELETED_QUEUE_SETTLE_MS = 2_000;

/**
 * How long a declaration waits before it checks (and may delete) the quorum queues to renew
 * (see {@linkcode declareQueues}), so that the members of a restarted broker have started. A
 * delay level deleted 1 ms after its member had become leader again crashed its dead-letter
 * worker on RabbitMQ 3.10.8, and the supervisor of every such worker with it: each quorum
 * queue with at-least-once dead-lettering created on that node afterwards crashed at once,
 * until the node restarted. Members became leaders within 0.4 s of the node's start there.
 */
const RENEWAL_DELAY_MS = 5_000;

/** A quorum queue this process created or asked for, until its hold ended on a live connection. */
interface Creation {
  /** The connection it was created on. */
  readonly link: Link;
  /** When, epoch ms. */
  readonly at: number;
}

/** The most creations kept: past it the oldest are forgotten (each is a queue Warren made). */
const MAX_CREATIONS = 1_000;

/**
 * The quorum queues this process created whose hold has not ended on a live connection, by
 * broker URL and name. One whose connection ended first was created less than
 * `NEW_QUORUM_QUEUE_HOLD_MS` before the broker may have crashed: see {@linkcode declareQueues}.
 */
const creations = new Map<string, Creation>();

function creationKey(link: Link, queue: string): string {
  return `${link.url}\n${queue}`;
}

function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 406 ||
    describeError(err).includes("PRECONDITION_FAILED");
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 404 ||
    describeError(err).includes("NOT_FOUND");
}

function isQuorum(options: Options.AssertQueue): boolean {
  return options.arguments?.["x-queue-type"] === "quorum";
}

/** `operation`, failed with a `ConnectionError` if the broker has not answered within 30 s. */
function answered<T>(operation: Promise<T>, what: string, queue: string): Promise<T> {
  return withTimeout(
    operation,
    DECLARE_TIMEOUT_MS,
    () =>
      new ConnectionError(
        `RabbitMQ did not answer the ${what} of queue '${queue}' within ${DECLARE_TIMEOUT_MS} ms: a quorum queue without a leader does this (rabbitmq-queues quorum_status '${queue}' shows its members; its log says 'leader not known')`,
      ),
  );
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
 * adopted as it is, and a warning says what that costs. A quorum queue is first checked
 * passively: one that this call creates holds the call back until `NEW_QUORUM_QUEUE_HOLD_MS`
 * after its creation (see there). Every wait on the broker is bounded (30 s, then a
 * `ConnectionError`). Resolves to the names adopted.
 *
 * A quorum queue this process created on a connection that ended within its hold may be back
 * without a leader: RabbitMQ 3.10.8 brought a delay level killed 0.6 s after its creation back
 * so, and every publish into it then blocked its channel for 65 s before a nack, again and
 * again, so the producer stopped. Such a queue held nothing this process confirmed (the hold
 * saw to that): declared again, it is checked `RENEWAL_DELAY_MS` later, deleted when it is
 * empty and has no consumer, and created anew `DELETED_QUEUE_SETTLE_MS` after that (a warning,
 * `queue.renewed`, says so).
 */
export async function declareQueues(
  link: Link,
  queues: ReadonlyArray<readonly [name: string, options: Options.AssertQueue]>,
  logger: Logger,
): Promise<Set<string>> {
  const adopted = new Set<string>();
  const created: string[] = [];
  let createdAt: number | undefined;
  let channel: Channel = await link.channel({ onClose: "ignore" });
  // A failed operation closes the helper channel: the next one goes on a new one.
  const fresh = async () => {
    await link.closeChannel(channel);
    channel = await link.channel({ onClose: "ignore" });
  };
  try {
    let deleted = false;
    if (queues.some(([name, options]) => isQuorum(options) && renewable(link, name))) {
      await pause(RENEWAL_DELAY_MS);
    }
    for (const [name, options] of queues) {
      if (!isQuorum(options)) continue;
      const outcome = await renewUnsettled(link, channel, name, logger);
      if (outcome === "closed") await fresh();
      if (outcome === "deleted") deleted = true;
    }
    if (deleted) await pause(DELETED_QUEUE_SETTLE_MS);
    for (const [name, options] of queues) {
      // Whether this declaration creates the queue (it may also adopt it, below).
      let creates = false;
      if (isQuorum(options)) {
        creates = await answered(channel.checkQueue(name), "passive declaration", name).then(
          () => false,
          (err) => {
            if (!isNotFound(err)) throw err;
            return true;
          },
        );
        if (creates) await fresh();
      }
      // Remembered before it is asked for: a connection lost before the answer may leave the
      // queue created all the same.
      if (creates) remember(link, name, Date.now());
      try {
        await answered(channel.assertQueue(name, options), "declaration", name);
        if (creates) {
          createdAt = Date.now();
          created.push(name);
          logger.debug("queue.created", { queue: name, hold: NEW_QUORUM_QUEUE_HOLD_MS });
        }
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        // Another client created it first, with other arguments: not ours.
        if (creates) creations.delete(creationKey(link, name));
        await fresh();
        await answered(channel.checkQueue(name), "passive declaration", name);
        adopted.add(name);
        logger.warn("queue.adopted", { queue: name, ...adoptionNote(options, describeError(err)) });
      }
    }
  } finally {
    await link.closeChannel(channel);
  }
  const hold = createdAt === undefined ? 0 : createdAt + NEW_QUORUM_QUEUE_HOLD_MS - Date.now();
  if (hold > 0) await pause(hold);
  // Held through on a live connection: safe on disk. Otherwise kept, for the next declaration.
  if (link.live) {
    for (const name of created) creations.delete(creationKey(link, name));
  }
  return adopted;
}

/**
 * The creation of `queue` when this process created it on a connection other than `link` that
 * ended within its hold; `undefined` when it is not ours, was held through, or its connection is
 * still live (its hold is under way).
 */
function renewable(link: Link, queue: string): Creation | undefined {
  const creation = creations.get(creationKey(link, queue));
  return creation !== undefined && creation.link !== link && !creation.link.live
    ? creation
    : undefined;
}

function remember(link: Link, queue: string, at: number): void {
  const key = creationKey(link, queue);
  creations.delete(key);
  creations.set(key, { link, at });
  for (const oldest of creations.keys()) {
    if (creations.size <= MAX_CREATIONS) break;
    creations.delete(oldest);
  }
}

/**
 * Deletes quorum queue `queue` if this process created it on a connection that is gone and that
 * ended within its hold, and it is empty with no consumer (see {@linkcode declareQueues}).
 * Resolves to `deleted`, `kept`, or `closed` when it did not exist or its deletion was refused
 * (the broker then closed `channel`).
 */
async function renewUnsettled(
  link: Link,
  channel: Channel,
  queue: string,
  logger: Logger,
): Promise<"deleted" | "closed" | "kept"> {
  const key = creationKey(link, queue);
  const creation = renewable(link, queue);
  if (creation === undefined) return "kept";
  // Forgotten once decided: a check or deletion that fails is tried again next time.
  const found = await answered(channel.checkQueue(queue), "passive declaration", queue).catch(
    (err) => {
      if (!isNotFound(err)) throw err;
      return undefined;
    },
  );
  if (found !== undefined && (found.messageCount > 0 || found.consumerCount > 0)) {
    creations.delete(key);
    return "kept";
  }
  if (found === undefined) {
    creations.delete(key);
    return "closed";
  }
  // A queue without a leader answers its deletion late (about 5 s on 3.10.8), but answers. One
  // whose member is still starting after a restart is refused (NOT_FOUND, "its master replica
  // ... is not available"): kept as it is then, and checked again at the next reconnect.
  const refused = await answered(channel.deleteQueue(queue), "deletion", queue).then(
    () => undefined,
    (err) => {
      if (!isNotFound(err)) throw err;
      return describeError(err);
    },
  );
  if (refused !== undefined) {
    logger.debug("queue.renew_refused", { queue, error: refused });
    return "closed";
  }
  creations.delete(key);
  logger.warn("queue.renewed", {
    queue,
    detail: `created ${
      Date.now() - creation.at
    } ms ago, and the connection ended before it was safe on disk: a quorum queue that young may come back from a broker crash without a leader, which blocks every publish into it; it was empty, so it was deleted and is declared again`,
  });
  return "deleted";
}

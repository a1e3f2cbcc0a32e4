/**
 * Reading dead letters without removing them: each is fetched with `basic.get` and manual
 * acknowledgement, decoded from its body and Warren's headers, and every one is given back with
 * one `basic.nack` (multiple, requeue) at the end.
 *
 * What giving back does to the queue (checked on RabbitMQ 3.10): on a classic queue the
 * messages return to their places, so the order is unchanged, and their `redelivered` flag is
 * set from then on; on a quorum queue they go to the back, in the order they were read (a list
 * of fewer than all of them rotates the queue), and `x-delivery-count` goes up by one, which
 * counts against a `delivery-limit` policy if the dead-letter queue has one.
 *
 * @module
 */
import { parseBoundedJson } from "../wire/bounded_json.ts";
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { Channel, GetMessage } from "../deps/amqplib.ts";
import { HEADERS } from "../wire/headers.ts";
import { countHeader, type IncomingMessage, messageId, TASK_KEY } from "../wire/task_codec.ts";
import { type DeadLetterFilter, matchesFilter } from "./filters.ts";
import { requireQueue } from "./queues.ts";

/** A dead letter as the admin tools show it. */
export interface DeadLetter {
  /** The message id (or, for a message without one, a digest of its body). */
  readonly id: string;
  /** The task name from the body's `task` key, else the `type` property; `null` if neither. */
  readonly task: string | null;
  /** Why it was given up (`x-warren-reason`), `null` if not set. */
  readonly reason: string | null;
  /** Attempts made (`x-warren-attempts`; 0 when absent). */
  readonly attempts: number;
  /** The last error (`x-warren-error`), `null` if not set. */
  readonly error: string | null;
  /** When it failed last (`x-warren-last-failure`), else when it was made (`timestamp`). */
  readonly when: string | null;
  /** The worker that gave it up (`x-warren-worker`), `null` if not set. */
  readonly worker: string | null;
  /** The queue it was taken from (`x-warren-queue`), `null` if not set. */
  readonly from: string | null;
  /** The body as text (invalid UTF-8 replaced). */
  readonly body: string;
}

/** The parts of a fetched message that {@linkcode describeDeadLetter} reads. */
export interface DeadMessage extends IncomingMessage {
  /** The properties read: id, type, timestamp and headers. */
  readonly properties: IncomingMessage["properties"] & {
    readonly type?: unknown;
    readonly timestamp?: unknown;
  };
}

/** The bounds within which a dead letter's body is parsed for its task's name. */
const DEAD_BODY_BOUNDS = { maxBytes: 16 * 1024 * 1024, maxDepth: 64 };

const text = (value: unknown): string | null =>
  typeof value === "string" && value !== "" ? value : null;

/** The task name a message carries: the body's `task` key, else its `type` property. */
export function taskOf(message: DeadMessage): string | null {
  // A body too deep or too large (or not JSON) names no task: its type property may still.
  const read = parseBoundedJson(message.content, DEAD_BODY_BOUNDS);
  const body = read.ok ? read.value : undefined;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const name = text((body as Record<string, unknown>)[TASK_KEY]);
    if (name !== null) return name;
  }
  return text(message.properties.type);
}

/**
 * The reason of a message that the broker, not Warren, dead-lettered (`x-first-death-reason`):
 * `delivery-limit` for a quorum queue's delivery limit, else the broker's word; `null` if none.
 */
function brokerReason(headers: Record<string, unknown>): string | null {
  const reason = text(headers["x-first-death-reason"]);
  if (reason === null) return null;
  return reason === "delivery_limit" ? "delivery-limit" : reason;
}

/** Decodes a dead letter's body and headers. Never throws. */
export function describeDeadLetter(message: DeadMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const timestamp = message.properties.timestamp;
  const made = typeof timestamp === "number" && Number.isFinite(timestamp)
    ? new Date(timestamp * 1000).toISOString()
    : null;
  return {
    id: messageId(message),
    task: taskOf(message),
    reason: text(headers[HEADERS.reason]) ?? brokerReason(headers),
    attempts: countHeader(message, HEADERS.attempts),
    error: text(headers[HEADERS.error]),
    when: text(headers[HEADERS.lastFailure]) ?? made,
    worker: text(headers[HEADERS.worker]),
    from: text(headers[HEADERS.queue]),
    body: new TextDecoder().decode(message.content),
  };
}

/** Requeues every unacknowledged message of `channel` with one nack (multiple, requeue). */
export function giveBack(channel: Channel): void {
  try {
    channel.nackAll(true);
  } catch {
    // the channel is closed: the broker has requeued them already
  }
}

/** Dead letters read from a dead-letter queue, left in place. */
export interface DeadLetterList {
  /** The dead-letter queue. */
  readonly queue: string;
  /** Messages ready in it when the list began. */
  readonly total: number;
  /** How many were looked at (all of them, unless `limit` matches came first). */
  readonly scanned: number;
  /** The dead letters that match the filter, in queue order. */
  readonly messages: readonly DeadLetter[];
}

/** Options of {@linkcode listDeadLetters}. */
export interface ListOptions extends DeadLetterFilter {
  /**
   * The most dead letters to show.
   * @default {20}
   */
  limit?: number;
}

/**
 * Reads the dead letters of the work queue `names` until `limit` of them match the filter (or
 * all were looked at) and gives them all back (see the module documentation for what that
 * does to their order and flags). Throws a `MissingQueueError` when the dead-letter queue does
 * not exist.
 */
export async function listDeadLetters(
  link: Link,
  names: QueueNames,
  options: ListOptions = {},
): Promise<DeadLetterList> {
  const limit = options.limit ?? 20;
  const { ready } = await requireQueue(link, names, names.dead);
  const channel = await link.channel({ onClose: "ignore" });
  const matching: DeadLetter[] = [];
  let scanned = 0;
  try {
    while (matching.length < limit && scanned < ready) {
      const message: GetMessage | false = await channel.get(names.dead, { noAck: false });
      if (message === false) break;
      scanned++;
      const letter = describeDeadLetter(message);
      if (matchesFilter(letter, options)) matching.push(letter);
    }
  } finally {
    // One nack for all of them (multiple, requeue): they go back in the order they were read.
    // On a channel that broke meanwhile, the broker requeues them as the channel closes.
    if (scanned > 0) giveBack(channel);
    await link.closeChannel(channel);
  }
  return { queue: names.dead, total: ready, scanned, messages: matching };
}
